// @vitest-environment jsdom
import { act, cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../src/App.tsx';
import { packStats } from '../src/judge/pack.ts';
import type { JudgeResponse } from '../src/judge/protocol.ts';
import { startLayout } from '../src/layout/controller.ts';
import { MARK_FIRST_MAP } from '../src/map/marks.ts';
import { appStore } from '../src/store/index.ts';
import { hopStat } from './fixtures/stats.ts';
import { labTopology } from './fixtures/topo.ts';

const HOST = 'lab-host';

/** jsdom has no ResizeObserver (React Flow only needs it to exist) and no scrolling. */
class NoResize {
  observe() {}
  unobserve() {}
  disconnect() {}
}

function judgedAll(
  ids: readonly string[],
  losing: string | null = null,
): Extract<JudgeResponse, { kind: 'judged' }> {
  return {
    kind: 'judged',
    host: HOST,
    lastT: 1_760_000_000_000,
    hop: null,
    changed: packStats(
      ids.map((id) => [id, hopStat({ status: id === losing ? 'loss' : 'ok', rxPps: 10, txPps: 10 })]),
    ),
    removed: [],
    findings: [],
    path: null,
    pathError: null,
    pathSuggestions: [],
    windowSeconds: 5,
    ms: 1,
  };
}

describe('the canvas mounted while the first sample is judged (issue 14, first render)', () => {
  let stop: (() => void) | null = null;
  afterEach(() => {
    cleanup();
    stop?.();
    appStore.getState().setHost(null);
    performance.clearMarks(MARK_FIRST_MAP);
  });

  it.each([
    ['no loss', null],
    ['a hop losing packets (framed on it, elsewhere than the canvas was made at)', 'hwlab-qrouter-a1/qg-a1'],
  ])(
    'LOAD11: React Flow is mounted hidden once the nodes are laid out and a sample went to the judge, and shown at the first picture once judged (%s)',
    (_, losing) => {
      (globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver ??= NoResize;
      Element.prototype.scrollIntoView ??= () => {};
      const topology = labTopology();
      appStore.setState({ judgeExternally: true });
      appStore.getState().setHost(HOST);
      appStore.getState().setTopology(HOST, topology);
      stop = startLayout(appStore);
      const { container } = render(<App />);
      // No sample on its way yet: nothing is mounted (the thread reads the hub's frames meanwhile).
      expect(container.querySelector('.react-flow')).toBeNull();
      act(() => appStore.getState().noteSampleSent());
      // Not judged yet: the canvas is made (its nodes drawn) but neither shown nor reachable.
      const flow = container.querySelector<HTMLElement>('.react-flow');
      expect(flow).not.toBeNull();
      expect(flow!.querySelectorAll('.react-flow__node').length).toBeGreaterThan(0);
      expect(flow!.style.visibility).toBe('hidden');
      expect(flow!.getAttribute('aria-hidden')).toBe('true');
      expect(flow!.hasAttribute('inert')).toBe(true);
      expect(performance.getEntriesByName(MARK_FIRST_MAP)).toHaveLength(0);
      const viewportOf = () =>
        /translate\((-?[\d.e+-]+)px, ?(-?[\d.e+-]+)px\) scale\(([\d.e+-]+)\)/
          .exec(container.querySelector<HTMLElement>('.react-flow__viewport')!.style.transform)
          ?.slice(1)
          .map(Number);
      const made = viewportOf();
      // Judged: the same canvas (not mounted again) is shown, and the first picture is marked.
      act(() =>
        appStore.getState().applyJudgement(
          judgedAll(
            topology.ifaces.map((i) => i.id),
            losing,
          ),
        ),
      );
      expect(container.querySelector('.react-flow')).toBe(flow);
      expect(flow!.style.visibility).toBe('');
      expect(flow!.hasAttribute('aria-hidden')).toBe(false);
      expect(flow!.hasAttribute('inert')).toBe(false);
      const marks = performance.getEntriesByName(MARK_FIRST_MAP) as PerformanceMark[];
      expect(marks).toHaveLength(1);
      const { viewport } = marks[0]!.detail as { viewport: { x: number; y: number; zoom: number } };
      expect(viewportOf()).toEqual([viewport.x, viewport.y, viewport.zoom]);
      // Framed on the loss: not where the canvas was made (moved before it was shown).
      if (losing !== null) expect(viewportOf()).not.toEqual(made);
      for (const n of container.querySelectorAll('[data-hop][data-status]'))
        expect(n.getAttribute('data-status')).not.toBe('idle');
      if (losing !== null)
        expect(container.querySelector(`[data-hop="${losing}"]`)?.getAttribute('data-status')).toBe('loss');
    },
  );
});
