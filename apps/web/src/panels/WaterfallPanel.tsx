import { useMemo } from 'react';
import { type AppState, appStore, useApp } from '../store/index.ts';
import { fmtNum } from '../ui/format.ts';
import { nsShort } from '../ui/names.ts';
import { type WaterfallStep, waterfallOf, waterfallSummary } from './waterfall.ts';

const selectPath = (s: AppState) => s.path;
const selectOpen = (s: AppState) => s.wf;
const selectStats = (s: AppState) => s.statsById;
const selectIfaces = (s: AppState) => s.ifaceById;
const selectWindow = (s: AppState) => Math.round(s.windowSeconds);
const selectSel = (s: AppState) => s.sel;

/** Drawing height of the tallest bar, px. */
const BAR_MAX_PX = 64;

function Bar({ value, max, kind }: { value: number; max: number; kind: 'in' | 'out' }) {
  const h = Math.max(value > 0 ? 2 : 0, Math.round((value / max) * BAR_MAX_PX));
  return (
    <div className="flex flex-col items-center justify-end" style={{ height: BAR_MAX_PX + 14 }}>
      <span className="mono" style={{ fontSize: 10.5 }} data-wf={kind}>
        {fmtNum(value)}
      </span>
      <div
        className={`wf-bar wf-${kind}`}
        style={{ height: h }}
        title={`${fmtNum(value)} packets per second ${kind === 'in' ? 'in' : 'out'}`}
      />
    </div>
  );
}

function Step({ step, max, selected }: { step: WaterfallStep; max: number; selected: boolean }) {
  const lost = step.dropsPerSec > 0;
  return (
    <li
      className="wf-step flex flex-col items-center"
      data-wf-hop={step.id}
      data-wf-index={step.index}
      data-status={step.status}
      data-selected={selected}
      aria-label={`hop ${step.index} ${step.name}: ${fmtNum(step.inPps)} in, ${fmtNum(step.outPps)} out per second${lost ? `, ${fmtNum(step.dropsPerSec)} lost per second${step.rules ? ` (${step.rules})` : ''}` : ''}`}
    >
      <button
        type="button"
        className="flex items-end gap-1"
        onClick={() => appStore.getState().reveal(step.id)}
        tabIndex={-1}
      >
        <Bar value={step.inPps} max={max} kind="in" />
        <Bar value={step.outPps} max={max} kind="out" />
      </button>
      <div
        className={`mono font-bold ${lost ? 'st-loss' : 'muted'}`}
        style={{ fontSize: 10.5, minHeight: 15 }}
      >
        {lost ? (
          <span data-wf="drop" title="packets lost per second here">
            ✕{fmtNum(step.dropsPerSec)}/s{step.rules !== '' && <span data-wf="rules"> {step.rules}</span>}
          </span>
        ) : (
          <span aria-hidden="true">·</span>
        )}
      </div>
      <div className="mono font-semibold whitespace-nowrap" style={{ fontSize: 11 }}>
        <span className="muted">{step.index} </span>
        {step.name}
      </div>
      <div className="muted whitespace-nowrap" style={{ fontSize: 10 }} title={step.netns}>
        {nsShort(step.netns)}
      </div>
    </li>
  );
}

/**
 * Under the map, for the path: packets entering and leaving each hop as bars, and where they
 * disappear, the loss and its rule at that step. "How far does it get?" as a picture.
 */
export function WaterfallPanel() {
  const path = useApp(selectPath);
  const open = useApp(selectOpen);
  // Closed (or no path), it subscribes to nothing that moves with a tick.
  return open && path !== null ? <Waterfall path={path} /> : null;
}

function Waterfall({ path }: { path: string[] }) {
  const stats = useApp(selectStats);
  const ifaces = useApp(selectIfaces);
  const windowSeconds = useApp(selectWindow);
  const sel = useApp(selectSel);
  const w = useMemo(() => waterfallOf(path, stats, ifaces), [path, stats, ifaces]);
  // The sentence changes only when where packets disappear changes, not with every number.
  const summary = waterfallSummary(w);
  return (
    <section
      className="border-t px-3 py-1.5"
      style={{ borderColor: 'var(--line)', background: 'var(--panel)' }}
      data-testid="waterfall"
      aria-label="packet waterfall"
    >
      <h2 className="uppercase font-bold muted flex items-center gap-2" style={{ fontSize: 11 }}>
        Packet waterfall
        <span className="font-normal normal-case">
          packets per second in <span className="wf-key wf-in" /> and out <span className="wf-key wf-out" />{' '}
          of each hop{windowSeconds > 0 ? `, last ${windowSeconds} s` : ''}
        </span>
        <button
          type="button"
          className="ml-auto muted hover:underline normal-case font-normal"
          onClick={() => appStore.getState().setWaterfall(false)}
        >
          hide
        </button>
      </h2>
      <p className="sr-only" data-testid="waterfall-summary">
        {summary}
      </p>
      <ol className="flex items-end gap-3 overflow-x-auto pb-1" aria-label="hops of the path, in order">
        {w.steps.map((step) => (
          <Step key={step.id} step={step} max={w.max} selected={step.id === sel} />
        ))}
      </ol>
    </section>
  );
}
