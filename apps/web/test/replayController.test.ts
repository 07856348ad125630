import { evaluate } from '../src/judge/evaluate.ts';
import type { Sample, Topology } from '@hopwatch/shared';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ReplayController, startReplay } from '../src/replay/controller.ts';
import { createAppStore } from '../src/store/index.ts';
import { iface, labSample, labTopology } from './fixtures/topo.ts';

/**
 * The replay controller against a stubbed hub: a 60 s recording of the lab with the backlog
 * fault from 20 s to 40 s and an interface that existed only until 30 s. Judged in place
 * (no worker), by the same code the live slice uses.
 */
const T0 = 1_760_000_000_000;
const HOST = 'lab';
const SEED = 'hwlab-qrouter-a1/qg-a1';
const GONE = 'hwlab-node/tap-old';

const v1: Topology = {
  ...labTopology(),
  ifaces: [...labTopology().ifaces, iface('hwlab-node', 'tap-old', 'tap')],
};
const v2: Topology = labTopology();
const samples: Sample[] = Array.from({ length: 60 }, (_, i) => {
  const t = T0 + (i + 1) * 1000;
  return labSample(t, 10_000, t > T0 + 20_000 && t <= T0 + 40_000 ? 300 : 0);
});
const topologies = [
  { t: T0 - 5000, topology: v1 },
  { t: T0 + 30_500, topology: v2 },
];

function hub(url: string): unknown {
  const u = new URL(url, 'http://hub');
  const q = (k: string) => Number(u.searchParams.get(k));
  if (u.pathname === '/api/replay')
    return {
      source: 'live',
      file: null,
      hosts: [{ host: HOST, start: T0, end: T0 + 60_000 }],
      recordings: [],
    };
  if (u.pathname.endsWith('/timeline')) {
    const n = q('buckets');
    const start = q('start');
    const bucketMs = Math.ceil((q('end') - start) / n);
    const buckets = Array.from({ length: n }, (_, i) => {
      const b = { start: start + i * bucketMs, end: start + (i + 1) * bucketMs };
      const loss = samples.some((s) => s.t > b.start && s.t <= b.end && s.drops.length > 0);
      return { ...b, samples: 1, worst: loss ? 'loss' : 'ok', drops: loss ? 300 : 0, lossHops: loss ? 1 : 0 };
    });
    return { host: HOST, start, end: q('end'), bucketMs, buckets };
  }
  if (u.pathname.endsWith('/recording')) {
    const [start, end] = [q('start'), q('end')];
    const inForce = topologies.filter((v) => v.t <= start).at(-1);
    return {
      host: HOST,
      topologies: [...(inForce ? [inForce] : []), ...topologies.filter((v) => v.t > start && v.t <= end)],
      samples: samples.filter((s) => s.t >= start && s.t <= end),
    };
  }
  throw new Error(`unexpected ${url}`);
}

const asked: string[] = [];
let store: ReturnType<typeof createAppStore>;
let ctl: ReplayController;
beforeEach(() => {
  asked.length = 0;
  vi.stubGlobal('fetch', async (url: string) => {
    asked.push(url);
    return new Response(JSON.stringify(hub(url)));
  });
  store = createAppStore(evaluate);
  store.getState().setHost(HOST);
  ctl = startReplay(store, null);
});
afterEach(() => {
  ctl.stop();
  vi.unstubAllGlobals();
});

const status = (id: string) => store.getState().statsById.get(id)?.status;

/** The live slice's own judgement of the same samples (the last JUDGE_WINDOW_SAMPLES). */
function liveJudgement(upTo: number, topology: Topology) {
  const live = createAppStore(evaluate);
  live.getState().setHost(HOST);
  live.getState().setTopology(HOST, topology);
  for (const s of samples.filter((x) => x.t <= upTo)) live.getState().ingestSample(HOST, s);
  return live.getState();
}

describe('replay controller', () => {
  it('RPC1: a moment in the fault shows the topology as it was, the red hop, and what live showed then', async () => {
    const t = T0 + 25_000;
    store.getState().seek(t);
    await vi.waitFor(() => expect(store.getState().lastT).toBe(t));
    const s = store.getState();
    expect(s.ifaceById.has(GONE)).toBe(true);
    expect(status(SEED)).toBe('loss');
    const live = liveJudgement(t, v1);
    expect(s.statsById.get(SEED)).toEqual(live.statsById.get(SEED));
    expect(s.findings).toEqual(live.findings);
    expect(s.findings.map((f) => f.rule)).toContain('R01');
    expect(s.windowSeconds).toBe(live.windowSeconds);
  });

  it('RPC2: after the fault the hop is not loss, and the deleted interface is gone from the map', async () => {
    store.getState().seek(T0 + 50_000);
    await vi.waitFor(() => expect(store.getState().lastT).toBe(T0 + 50_000));
    expect(status(SEED)).toBe('ok');
    expect(store.getState().ifaceById.has(GONE)).toBe(false);
  });

  it('RPC3: step one sample either way; previous/next loss go to the episode onset, refined to the second', async () => {
    store.getState().seek(T0 + 50_000);
    await vi.waitFor(() => expect(store.getState().lastT).toBe(T0 + 50_000));
    await ctl.step(-1);
    expect(store.getState().playhead).toBe(T0 + 49_000);
    await ctl.step(1);
    await ctl.step(1);
    expect(store.getState().playhead).toBe(T0 + 51_000);
    await vi.waitFor(() => expect(store.getState().timeline?.buckets.length).toBeGreaterThan(0));
    await ctl.jumpLoss(-1);
    // The onset of the episode (the first lossy sample is T0 + 21 s), not its last second.
    const onset = store.getState().playhead!;
    expect(onset).toBeGreaterThanOrEqual(T0 + 21_000);
    expect(onset).toBeLessThanOrEqual(T0 + 22_000);
    await ctl.jumpLoss(1); // no later episode: stays
    expect(store.getState().playhead).toBe(onset);
    store.getState().seek(T0 + 5000);
    await ctl.jumpLoss(1);
    expect(store.getState().playhead).toBe(onset);
    await vi.waitFor(() => expect(status(SEED)).toBe('loss'));
  });

  it('RPC4: playing forward walks out of the fault; the judgement follows sample by sample', async () => {
    store.getState().seek(T0 + 38_000);
    await vi.waitFor(() => expect(status(SEED)).toBe('loss'));
    store.getState().setSpeed(16);
    store.getState().play();
    for (let i = 0; i < 8; i++) store.getState().tick(100, i * 100);
    // Paused here so the controller's own (real-time) clock does not play on while we look.
    store.getState().pause();
    expect(store.getState().playhead).toBe(T0 + 38_000 + 8 * 1600);
    await vi.waitFor(() => expect(store.getState().lastT).toBe(T0 + 50_000));
    expect(status(SEED)).toBe('ok');
  });

  it('RPC5: back to live clears the replayed judgement', async () => {
    store.getState().seek(T0 + 25_000);
    await vi.waitFor(() => expect(status(SEED)).toBe('loss'));
    store.getState().goLive();
    expect(store.getState().statsById.size).toBe(0);
    expect(store.getState().history).toEqual([]);
  });

  it('RPC6: a strip refresh asks only for the tail, at the same bucket length', async () => {
    // Replaying, the strip ends at the recording's end (live, it runs to the wall clock).
    store.getState().seek(T0 + 10_000);
    await ctl.refresh();
    expect(store.getState().timeline?.buckets.length).toBe(60);
    const before = store.getState().timeline!;
    const lastStart = before.buckets.at(-1)!.start;
    asked.length = 0;
    await ctl.refresh();
    const strips = asked.filter((u) => u.includes('/timeline'));
    expect(strips).toHaveLength(1);
    expect(strips[0]).toContain(`start=${lastStart}&`);
    const after = store.getState().timeline!;
    expect(after.bucketMs).toBe(before.bucketMs);
    expect(after.buckets.slice(0, -1)).toEqual(before.buckets.slice(0, -1));
  });
});
