import type { Iface } from '@hopwatch/shared';
import { IFACE_COUNTERS } from '@hopwatch/shared/protocol/constants';
import { type ReactNode, useCallback, useEffect, useRef } from 'react';
import { JUDGE_WINDOW_SAMPLES } from '../judge/constants.ts';
import { type AppState, appStore, useApp } from '../store/index.ts';
import { fmtBytes, fmtNum, fmtPct, nsLabel } from '../ui/format.ts';
import { KindIcon, StatusIcon } from '../ui/icons.tsx';
import { STATUS_LABEL, STATUS_MEANING } from '../ui/status.ts';
import { OvsFlows, OvsRows } from './OvsDetail.tsx';
import { Sparkline } from './Sparkline.tsx';

const selectSel = (s: AppState) => s.sel;
const selectIfaceById = (s: AppState) => s.ifaceById;
const selectHopHistory = (s: AppState) => s.hopHistory;
const selectFindings = (s: AppState) => s.findings;
const selectHasTopology = (s: AppState) => s.topology !== null;

function Row({ k, children }: { k: string; children: ReactNode }) {
  return (
    <>
      <dt className="muted">{k}</dt>
      <dd className="mono truncate">{children}</dd>
    </>
  );
}

function HopLink({ id }: { id: string | null }) {
  if (id === null) return <span className="muted">—</span>;
  return (
    <button type="button" className="underline mono truncate" onClick={() => appStore.getState().reveal(id)}>
      {id}
    </button>
  );
}

function stateText(i: Iface): string {
  const carrier = i.carrier === null ? '' : i.carrier ? ', carrier' : ', no carrier';
  return `${i.operstate} (admin ${i.adminUp ? 'up' : 'down'}${carrier})`;
}

/** Everything about one hop: its state, its counters and rates over the last minutes, its drop reasons, its peer. */
export function HopDetail() {
  const sel = useApp(selectSel);
  // Nothing selected, nothing subscribed: a tick does not reach this panel.
  // Keyed by the hop: a newly selected one mounts afresh (and scrolls into view).
  return sel === null ? null : <HopDetailOf key={sel} sel={sel} />;
}

function HopDetailOf({ sel }: { sel: string }) {
  const ifaceById = useApp(selectIfaceById);
  const hopHistory = useApp(selectHopHistory);
  const findings = useApp(selectFindings);
  // The selected hop's own stats object: it keeps its identity while its numbers do not move.
  const stat = useApp(useCallback((s: AppState) => s.statsById.get(sel), [sel]));
  const hasTopology = useApp(selectHasTopology);
  const ref = useRef<HTMLElement>(null);
  // A newly selected hop scrolls its detail into view (findings stay above it).
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest' });
  }, []);
  const iface = ifaceById.get(sel);
  if (iface === undefined) {
    return (
      <section ref={ref} data-testid="hop-detail" data-hop-detail={sel} className="panel p-2">
        <div className="mono font-semibold">{sel}</div>
        <p className="st-warn">
          {hasTopology ? 'This interface no longer exists on this host.' : 'Waiting for the topology…'}
        </p>
      </section>
    );
  }
  const status = stat?.status ?? 'idle';
  const mine = findings.filter((f) => f.hop === sel);
  const mine_ = hopHistory?.id === sel ? hopHistory : null;
  const series = mine_?.series ?? null;
  const counters = mine_?.counters ?? null;
  const qdisc = mine_?.qdisc ?? null;
  return (
    <section
      ref={ref}
      data-testid="hop-detail"
      data-hop-detail={sel}
      className="panel p-2 flex flex-col gap-2"
      aria-label="hop detail"
    >
      <header className="flex items-center gap-1.5">
        <KindIcon kind={iface.kind} />
        <span className="mono font-bold whitespace-nowrap">{iface.name}</span>
        {/* The whole namespace name here (the map shortens long ones in the middle). */}
        <span className="muted mono break-all" style={{ fontSize: 11 }} data-testid="hop-detail-ns">
          {nsLabel(iface.netns)}
        </span>
        <span
          className={`st-${status} ml-auto flex items-center gap-0.5 uppercase font-bold`}
          style={{ fontSize: 10.5 }}
          title={STATUS_MEANING[status]}
        >
          <StatusIcon status={status} size={13} />
          {STATUS_LABEL[status]}
        </span>
      </header>
      <div className="flex gap-1.5" style={{ fontSize: 11.5 }}>
        <button type="button" className="panel px-1.5" onClick={() => appStore.getState().setFrom(sel)}>
          path from here
        </button>
        <button type="button" className="panel px-1.5" onClick={() => appStore.getState().setTo(sel)}>
          path to here
        </button>
      </div>
      {stat !== undefined && (
        <div className="mono" style={{ fontSize: 12 }}>
          in {fmtNum(stat.rxPps)} pps · out {fmtNum(stat.txPps)} pps ·{' '}
          <span className={stat.drops > 0 ? 'st-loss font-bold' : 'muted'}>
            lost {fmtNum(stat.dropsPerSec)}/s ({fmtPct(stat.lossRatio)})
          </span>
        </div>
      )}
      {series !== null && (
        <div className="flex flex-col gap-0.5" data-testid="hop-charts">
          <Sparkline label="in" unit="pps" values={series.rxPps} color="var(--path)" />
          <Sparkline label="out" unit="pps" values={series.txPps} color="var(--st-ok)" />
          <Sparkline label="drops" unit="/s" values={series.dropsPs} color="var(--st-loss)" />
          <Sparkline label="errors" unit="/s" values={series.errorsPs} color="var(--st-warn)" />
        </div>
      )}
      {stat !== undefined && stat.notes !== '' && (
        // What the status alone does not say: how drops were attributed here, or the reverse direction.
        <div data-testid="hop-notes">
          <h3 className="uppercase font-bold muted" style={{ fontSize: 10.5 }}>
            notes
          </h3>
          <ul className="mono" style={{ fontSize: 11.5 }}>
            {stat.notes.split('\n').map((n) => (
              <li key={n}>ⓘ {n}</li>
            ))}
          </ul>
        </div>
      )}
      {mine.length > 0 && (
        <div data-testid="hop-reasons">
          <h3 className="uppercase font-bold muted" style={{ fontSize: 10.5 }}>
            drop reasons here
          </h3>
          <ul className="mono" style={{ fontSize: 11.5 }}>
            {mine.map((f) => (
              <li key={`${f.rule}|${f.reason}`}>
                <span className="st-loss font-bold">{f.rule}</span> {f.reason ?? 'no kernel reason'} ·{' '}
                {fmtNum(f.count)} pkts — {f.title}
              </li>
            ))}
          </ul>
        </div>
      )}
      <dl className="grid gap-x-2 gap-y-0.5" style={{ gridTemplateColumns: 'auto 1fr', fontSize: 11.5 }}>
        <Row k="id">{iface.id}</Row>
        <Row k="kind">
          {iface.kind}
          {iface.driverKind !== null && iface.driverKind !== iface.kind ? ` (${iface.driverKind})` : ''}
        </Row>
        <Row k="state">{stateText(iface)}</Row>
        <Row k="mtu">{iface.mtu}</Row>
        <Row k="qdisc">
          {iface.qdisc ?? '—'}
          {qdisc !== null &&
            ` · ${fmtNum(qdisc.drops)} dropped, ${fmtNum(qdisc.overlimits)} overlimits, qlen ${qdisc.qlen}`}
        </Row>
        <Row k="txqueuelen">{iface.txqueuelen ?? '—'}</Row>
        <Row k="rps_cpus">{iface.rpsCpus ?? 'off'}</Row>
        <Row k="peer">
          <HopLink id={iface.peer} />
        </Row>
        <Row k="master">
          <HopLink id={iface.master} />
        </Row>
        {iface.lower !== null && (
          <Row k="lower">
            <HopLink id={iface.lower} />
          </Row>
        )}
        {iface.portState !== null && <Row k="port state">{iface.portState}</Row>}
        <Row k="mac">{iface.mac ?? '—'}</Row>
        <Row k="addresses">{iface.addresses.length > 0 ? iface.addresses.join(', ') : '—'}</Row>
        <OvsRows
          iface={iface}
          row={(k, v) => (
            <Row key={k} k={k}>
              {v}
            </Row>
          )}
        />
      </dl>
      <OvsFlows iface={iface} findings={findings} />
      {counters !== null && (
        <details>
          <summary className="muted cursor-pointer" style={{ fontSize: 11.5 }}>
            counters over the last {JUDGE_WINDOW_SAMPLES} samples
          </summary>
          <dl
            className="grid gap-x-2 mono"
            style={{ gridTemplateColumns: 'auto 1fr auto 1fr', fontSize: 11 }}
          >
            {IFACE_COUNTERS.map((name, i) => (
              <Row key={name} k={name}>
                {name.endsWith('Bytes') ? fmtBytes(counters[i] ?? 0) : fmtNum(counters[i] ?? 0)}
              </Row>
            ))}
          </dl>
        </details>
      )}
    </section>
  );
}
