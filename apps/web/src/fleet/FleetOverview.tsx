import type { HostSummary } from '@hopwatch/shared';
import { HOP_STATUSES } from '@hopwatch/shared/protocol/constants';
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { type AppState, appStore, useApp } from '../store/index.ts';
import { fmtAgo } from '../ui/format.ts';
import { STATUS_LABEL } from '../ui/status.ts';
import { AGENT_STATUSES, type AgentStatus, agentCounts, fleetRows, rulesIn } from './filter.ts';
import { visibleRange } from './virtual.ts';

const selectHosts = (s: AppState) => s.hosts;
const selectFilter = (s: AppState) => s.fleet;

/** Fixed row height: the list is virtualised by arithmetic, not by measuring rows. */
export const FLEET_ROW_PX = 30;

const AGENT_TEXT: Record<AgentStatus, { mark: string; label: string; cls: string }> = {
  online: { mark: '●', label: 'online', cls: 'st-ok' },
  lagging: { mark: '◐', label: 'lagging', cls: 'st-warn' },
  // A vanished agent stays in the list, said in words: the host did not go away, its agent did.
  lost: { mark: '✕', label: 'agent lost', cls: 'st-down' },
};

const COLUMNS = 'grid-cols-[8.5rem_minmax(10rem,1.4fr)_6rem_minmax(8rem,1.2fr)_4rem_6rem_7rem]';

function pickHost(e: React.MouseEvent, host: string): void {
  // A plain click opens the map here; with a modifier the browser opens the link (new tab).
  if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  appStore.getState().setHost(host);
}

function Row({ h, top, now }: { h: HostSummary; top: number; now: number }) {
  const agent = AGENT_TEXT[h.status];
  return (
    <a
      href={`?host=${encodeURIComponent(h.host)}`}
      onClick={(e) => pickHost(e, h.host)}
      className={`absolute left-0 right-0 grid ${COLUMNS} items-center gap-2 px-3 border-b hover:bg-[var(--panel)]`}
      style={{ top, height: FLEET_ROW_PX, borderColor: 'var(--line)', fontSize: 12.5 }}
      data-testid="fleet-row"
      data-host={h.host}
      data-agent={h.status}
      data-status={h.worst}
    >
      <span className={`font-semibold ${agent.cls}`}>
        {agent.mark} {agent.label}
      </span>
      <span className="mono truncate" title={h.host}>
        {h.host}
      </span>
      <span className={`st-${h.worst} font-semibold`}>
        {STATUS_LABEL[h.worst]}
        {h.lossHops > 0 && <span className="font-normal"> ×{h.lossHops}</span>}
      </span>
      <span className="mono truncate" title={h.worstHop ?? undefined} data-col="hop">
        {h.worstHop ?? <span className="muted">—</span>}
      </span>
      <span className="mono" data-col="rule">
        {h.rule ?? <span className="muted">—</span>}
      </span>
      <span className="mono truncate muted" title={h.agentVersion ?? undefined}>
        {h.agentVersion ?? '—'}
      </span>
      <span className="muted" data-col="seen">
        {h.lastSeen === null ? 'never' : fmtAgo(now - h.lastSeen)}
      </span>
    </a>
  );
}

function Filters({ hosts }: { hosts: readonly HostSummary[] }) {
  const f = useApp(selectFilter);
  const counts = useMemo(() => agentCounts(hosts), [hosts]);
  const rules = useMemo(() => rulesIn(hosts), [hosts]);
  const set = appStore.getState().setFleetFilter;
  const toggle = <T,>(list: readonly T[], v: T): T[] =>
    list.includes(v) ? list.filter((x) => x !== v) : [...list, v];
  return (
    <div
      className="flex flex-wrap items-center gap-2 px-3 py-2 border-b"
      style={{ borderColor: 'var(--line)' }}
    >
      <input
        type="search"
        className="panel px-2 py-1 w-64"
        placeholder="search host, hop, rule…"
        aria-label="search hosts"
        data-testid="fleet-search"
        value={f.q}
        onChange={(e) => set({ q: e.currentTarget.value })}
      />
      <span className="muted" style={{ fontSize: 11 }}>
        agent
      </span>
      {AGENT_STATUSES.map((a) => (
        <button
          key={a}
          type="button"
          className={`panel px-1.5 ${AGENT_TEXT[a].cls}`}
          style={{ fontSize: 11.5 }}
          aria-pressed={f.agent.includes(a)}
          data-testid={`fleet-agent-${a}`}
          onClick={() => set({ agent: toggle(f.agent, a) })}
        >
          {AGENT_TEXT[a].mark} {AGENT_TEXT[a].label} ({counts[a]})
        </button>
      ))}
      <span className="muted" style={{ fontSize: 11 }}>
        worst hop
      </span>
      {HOP_STATUSES.filter((s) => s !== 'idle')
        .reverse()
        .map((s) => (
          <button
            key={s}
            type="button"
            className={`panel px-1.5 st-${s}`}
            style={{ fontSize: 11.5 }}
            aria-pressed={f.status.includes(s)}
            data-testid={`fleet-status-${s}`}
            onClick={() => set({ status: toggle(f.status, s) })}
          >
            {STATUS_LABEL[s]}
          </button>
        ))}
      <label className="flex items-center gap-1" style={{ fontSize: 11.5 }}>
        <span className="muted">rule</span>
        <select
          className="panel px-1 py-0.5 mono"
          data-testid="fleet-rule"
          value={f.rule ?? ''}
          onChange={(e) => set({ rule: e.currentTarget.value || null })}
        >
          <option value="">any</option>
          {f.rule !== null && !rules.includes(f.rule) && <option value={f.rule}>{f.rule}</option>}
          {rules.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

/**
 * `/` with no host chosen: every host the hub (or, in a fleet, any replica) knows, worst first,
 * with its agent's state, worst hop and rule, agent version and when it was last heard from;
 * filtered and searched from the URL; one click opens its map. Virtualised: only the rows in
 * view are in the DOM, so a thousand hosts cost what forty do.
 */
export function FleetOverview() {
  const hosts = useApp(selectHosts);
  const filter = useApp(selectFilter);
  const rows = useMemo(() => fleetRows(hosts ?? [], filter), [hosts, filter]);
  const scroller = useRef<HTMLDivElement>(null);
  const [scroll, setScroll] = useState({ top: 0, height: 600 });
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const measure = () => setScroll({ top: el.scrollTop, height: el.clientHeight || 600 });
    measure();
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(measure);
    ro?.observe(el);
    return () => ro?.disconnect();
  }, []);
  const { start, end } = visibleRange(scroll.top, scroll.height, FLEET_ROW_PX, rows.length);
  const now = Date.now();
  return (
    <section className="flex-1 flex flex-col min-h-0" data-testid="fleet" aria-label="fleet overview">
      <Filters hosts={hosts ?? []} />
      <div
        className="px-3 py-1 muted"
        style={{ fontSize: 11.5 }}
        data-testid="fleet-count"
        aria-live="polite"
      >
        {hosts === null
          ? 'waiting for the hub…'
          : hosts.length === 0
            ? 'no agent has connected yet'
            : `${rows.length} of ${hosts.length} hosts, worst first`}
      </div>
      <div
        className={`grid ${COLUMNS} gap-2 px-3 py-1 border-b muted uppercase font-semibold`}
        style={{ borderColor: 'var(--line)', fontSize: 10.5 }}
      >
        <span>agent</span>
        <span>host</span>
        <span>worst</span>
        <span>worst hop</span>
        <span>rule</span>
        <span>version</span>
        <span>last seen</span>
      </div>
      <div
        ref={scroller}
        className="flex-1 overflow-y-auto relative min-h-0"
        onScroll={(e) =>
          setScroll({ top: e.currentTarget.scrollTop, height: e.currentTarget.clientHeight || 600 })
        }
        data-testid="fleet-list"
      >
        <div style={{ height: rows.length * FLEET_ROW_PX, position: 'relative' }}>
          {rows.slice(start, end).map((h, i) => (
            <Row key={h.host} h={h} top={(start + i) * FLEET_ROW_PX} now={now} />
          ))}
        </div>
      </div>
    </section>
  );
}
