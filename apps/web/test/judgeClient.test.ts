import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startJudge } from '../src/judge/client.ts';
import { startEarlyJudge } from '../src/judge/early.ts';
import type { HopStat } from '../src/judge/evaluate.ts';
import { packStats } from '../src/judge/pack.ts';
import type { JudgeRequest, JudgeResponse } from '../src/judge/protocol.ts';
import { createAppStore } from '../src/store/index.ts';
import { hopStat } from './fixtures/stats.ts';
import { labTopology } from './fixtures/topo.ts';

/** The judge worker as the page sees it: what it was sent, and a way to answer. */
class FakeWorker {
  static last: FakeWorker | null = null;
  onmessage: ((ev: MessageEvent<JudgeResponse>) => void) | null = null;
  posted: JudgeRequest[] = [];
  constructor() {
    FakeWorker.last = this;
  }
  postMessage(msg: JudgeRequest) {
    this.posted.push(msg);
  }
  answer(res: JudgeResponse) {
    this.onmessage?.({ data: res } as MessageEvent<JudgeResponse>);
  }
  terminate() {}
  kinds() {
    return this.posted.map((r) => r.kind);
  }
}

const HOST = 'lab';
const T0 = 1_760_000_000_000;
const topology = labTopology();
const topologyRaw = JSON.stringify({ type: 'topology', host: HOST, t: T0, topology });
const sampleRaw = '{"type":"sample","host":"lab","merged":1,"sample":{}}';
const ok: HopStat = hopStat({ rxPps: 10, txPps: 10 });
const judged = (lastT: number | null): JudgeResponse => ({
  kind: 'judged',
  host: HOST,
  lastT,
  hop: null,
  changed: packStats(topology.ifaces.map((i) => [i.id, ok])),
  removed: [],
  findings: [],
  path: null,
  pathError: null,
  pathSuggestions: [],
  windowSeconds: 1,
  ms: 1,
});

const g = globalThis as unknown as { Worker?: unknown; fetch: typeof fetch };
const realFetch = g.fetch;
let fetched: string[] = [];
beforeEach(() => {
  g.Worker = FakeWorker;
  fetched = [];
  g.fetch = vi.fn(async (url: string) => {
    fetched.push(url);
    return { ok: true, text: async () => '{"samples":[]}' } as Response;
  }) as unknown as typeof fetch;
});
afterEach(() => {
  delete g.Worker;
  g.fetch = realFetch;
  FakeWorker.last = null;
});

function hostStore() {
  const store = createAppStore();
  store.getState().setHost(HOST);
  return store;
}

describe('the judge worker started by the entry (judge/early.ts) and adopted by the app (judge/client.ts)', () => {
  it('LOAD7: judges the held frames before the app runs; the app says nothing twice and applies its answers once the topology is in', async () => {
    const early = startEarlyJudge({ host: HOST, from: null, to: null })!;
    const worker = FakeWorker.last!;
    expect(worker.kinds()).toEqual(['reset', 'path']);
    // The socket offers each frame it holds: samples are the judge's only, the topology is the app's too.
    expect(early.feed(topologyRaw)).toBe(false);
    expect(early.feed(sampleRaw)).toBe(true);
    expect(early.feed('{"type":"hosts","hosts":[]}')).toBe(false);
    expect(worker.kinds()).toEqual(['reset', 'path', 'topology-frame', 'frame']);
    worker.answer(judged(T0));

    const store = hostStore();
    const client = startJudge(store, early)!;
    // LOAD11: the samples the entry's judge took are on their way (the map mounts its canvas).
    expect(store.getState().sampleSent).toBe(true);
    // No reset (the judged window would be lost), no path again: only what the entry could not know.
    expect(worker.kinds().slice(4)).toEqual(['watch', 'select']);
    expect(store.getState().lastT).toBeNull();
    worker.answer(judged(T0 + 1000));
    expect(store.getState().lastT).toBeNull();
    // The app takes the held topology frame: not sent again; the answers so far applied, in order.
    client.topologyFrame(topology, topologyRaw);
    store.getState().setTopology(HOST, topology);
    expect(worker.kinds().filter((k) => k === 'topology-frame')).toHaveLength(1);
    expect(store.getState().lastT).toBe(T0 + 1000);
    expect(store.getState().statsById.get(topology.ifaces[0]!.id)?.status).toBe('ok');
    // Later frames: the socket no longer offers them (released); the client sends them.
    expect(early.feed(sampleRaw)).toBe(false);
    client.frame(sampleRaw);
    expect(worker.kinds().at(-1)).toBe('frame');
    // A path chosen later, even the URL's again, and another host, are said.
    store.getState().setFrom(topology.ifaces[0]!.id);
    store.getState().setFrom(null);
    expect(worker.kinds().filter((k) => k === 'path')).toHaveLength(3);
    store.getState().setHost('other');
    expect(worker.posted.at(-1)).toEqual({ kind: 'reset', host: 'other' });
    client.stop();
  });

  it('LOAD7: the recording of the last minutes is fetched after the first judgement, not beside it', async () => {
    const store = hostStore();
    const client = startJudge(store)!;
    const worker = FakeWorker.last!;
    expect(worker.kinds()[0]).toBe('reset');
    store.getState().setTopology(HOST, topology);
    await new Promise((r) => setTimeout(r, 0));
    expect(fetched).toEqual([]);
    worker.answer(judged(T0));
    await new Promise((r) => setTimeout(r, 0));
    expect(fetched).toHaveLength(1);
    expect(fetched[0]).toMatch(/^\/api\/hosts\/lab\/recording\?start=\d+&end=\d+$/);
    expect(worker.kinds().at(-1)).toBe('seed');
    // LOAD11: the map mounts its canvas once a sample is on its way to the judge.
    expect(store.getState().sampleSent).toBe(false);
    client.frame(sampleRaw);
    expect(store.getState().sampleSent).toBe(true);
    // Once per host.
    worker.answer(judged(T0 + 1000));
    await new Promise((r) => setTimeout(r, 0));
    expect(fetched).toHaveLength(1);
    client.stop();
  });

  it('LOAD7: the entry judges at most 60 held sample frames; later ones stay held for the app (the answers waiting for it are bounded)', () => {
    const early = startEarlyJudge({ host: HOST, from: null, to: null })!;
    const worker = FakeWorker.last!;
    const taken = Array.from({ length: 100 }, () => early.feed(sampleRaw));
    expect(taken.filter(Boolean)).toHaveLength(60);
    expect(taken.slice(60).every((t) => !t)).toBe(true);
    expect(worker.kinds().filter((k) => k === 'frame')).toHaveLength(60);
  });

  it('LOAD7: a replay link: the entry only boots the worker, the app tells it everything', () => {
    const early = startEarlyJudge({ host: null, from: null, to: null })!;
    const worker = FakeWorker.last!;
    expect(worker.kinds()).toEqual([]);
    expect(early.feed(sampleRaw)).toBe(false);
    const store = hostStore();
    startJudge(store, early)!.stop();
    expect(worker.kinds().slice(0, 1)).toEqual(['reset']);
  });
});
