// @vitest-environment jsdom
// First: the render counter stands in for React DevTools' hook before react-dom loads.
import { takeRenders } from './renderCounter.ts';
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../src/App.tsx';
import type { HopStat } from '../src/judge/evaluate.ts';
import { packStats } from '../src/judge/pack.ts';
import type { JudgeResponse } from '../src/judge/protocol.ts';
import { startLayout } from '../src/layout/controller.ts';
import { fmtLocal, fmtUtc } from '../src/replay/time.ts';
import { appStore } from '../src/store/index.ts';
import { hopStat } from './fixtures/stats.ts';
import { LAB_PATH, labTopology } from './fixtures/topo.ts';

type Judged = Extract<JudgeResponse, { kind: 'judged' }>;
const HOST = 'lab-host';
const T0 = 1_760_000_000_000;

function stat(rxPps: number, pathIndex: number | null = null): HopStat {
  return hopStat({ rxPps, txPps: rxPps, pathIndex });
}

/** What the judge worker sends each second: some hops' numbers moved, nothing else did. */
function answer(seq: number, ids: readonly string[], path: string[] | null = null): Judged {
  return {
    kind: 'judged',
    host: HOST,
    lastT: T0 + seq * 1000,
    hop: null,
    changed: packStats(
      ids.map((id) => [id, stat(100 + seq, path === null ? null : path.indexOf(id) + 1 || null)]),
    ),
    removed: [],
    // Unchanged findings come as null; the lists below are new arrays every time, as from a worker.
    findings: seq === 0 ? [] : null,
    path,
    pathError: null,
    pathSuggestions: [],
    // A window a few ms longer or shorter than the last one.
    windowSeconds: 5 + (seq % 3) * 0.004,
    ms: 1,
  };
}

/** jsdom has no ResizeObserver (React Flow only needs it to exist) and no scrolling. */
class NoResize {
  observe() {}
  unobserve() {}
  disconnect() {}
}

function openLab(): () => void {
  (globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver ??= NoResize;
  Element.prototype.scrollIntoView ??= () => {};
  const topology = labTopology();
  appStore.setState({ judgeExternally: true });
  appStore.getState().setHost(HOST);
  appStore.getState().setTopology(HOST, topology);
  const stopLayout = startLayout(appStore);
  act(() =>
    appStore.getState().applyJudgement(
      answer(
        0,
        topology.ifaces.map((i) => i.id),
      ),
    ),
  );
  return stopLayout;
}

describe('per-tick React commits (issue 14: the canvas and the panels do not re-render on a tick)', () => {
  let stop: (() => void) | null = null;
  afterEach(() => {
    cleanup();
    stop?.();
    appStore.getState().setHost(null);
  });

  it('MAP17: a live tick renders no component: the clock and the nodes whose numbers moved are written in place', () => {
    stop = openLab();
    render(<App />);
    const node = () => document.querySelector<HTMLElement>('[data-hop="hwlab-up/wan0"]')!;
    expect(node().textContent).toContain('↓100');
    takeRenders();
    for (let seq = 1; seq <= 3; seq++)
      act(() => appStore.getState().applyJudgement(answer(seq, ['hwlab-node/br-int', 'hwlab-up/wan0'])));
    expect([...takeRenders().keys()]).toEqual([]);
    // What the tick changed is on the page all the same: the numbers and the clock.
    expect(node().textContent).toContain('↓103');
    expect(node().textContent).toContain('↑103/s');
    expect(screen.getByTestId('timeline-utc').textContent).toBe(fmtUtc(T0 + 3000));
    expect(screen.getByTestId('timeline-utc').title).toBe(new Date(T0 + 3000).toISOString());
    expect(screen.getByTestId('timeline-local').textContent).toBe(`(${fmtLocal(T0 + 3000)} local)`);
    // A status that moves is structure: that node renders, and only what shows that status.
    act(() =>
      appStore.getState().applyJudgement({
        ...answer(4, []),
        changed: packStats([['hwlab-up/wan0', { ...stat(104), status: 'loss', drops: 7, dropsPerSec: 7 }]]),
      }),
    );
    expect(node().dataset.status).toBe('loss');
    expect(node().textContent).toContain('✕7/s');
    // The node, its icons, its rates line (a drop count to show), and its namespace's lane (worst status).
    const structural = new Set(['IfaceNode', 'Rates', 'StatusIcon', 'Svg', 'KindIcon', 'LaneNode']);
    expect([...takeRenders().keys()].filter((n) => !structural.has(n))).toEqual([]);
  });

  it('MAP17: with a path, a selection and the waterfall open, the canvas and the findings still stay put', {
    timeout: 30_000,
  }, async () => {
    stop = openLab();
    act(() => {
      appStore.getState().setFrom(LAB_PATH[0]!);
      appStore.getState().setTo(LAB_PATH.at(-1)!);
      appStore.getState().applyJudgement(answer(0, LAB_PATH, [...LAB_PATH]));
    });
    render(<App />);
    act(() => {
      appStore.getState().select(LAB_PATH[2]!);
      appStore.getState().setWaterfall(true);
    });
    // The hop detail and the waterfall are loaded when first shown (App.tsx): wait for them.
    await screen.findByTestId('hop-detail', {}, { timeout: 15_000 });
    await screen.findByTestId('waterfall', {}, { timeout: 15_000 });
    takeRenders();
    act(() => appStore.getState().applyJudgement(answer(1, LAB_PATH, [...LAB_PATH])));
    const rendered = takeRenders();
    // Panels that show the path's numbers follow them; the canvas, the findings and the toolbar do not.
    for (const still of ['Canvas', 'MapCanvas', 'FindingsPanel', 'App', 'PathBar', 'Timeline', 'ReactFlow'])
      expect(rendered.has(still), still).toBe(false);
    expect(rendered.has('HopDetailOf')).toBe(true);
  });
});
