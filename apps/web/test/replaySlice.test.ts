import { evaluate } from '../src/judge/evaluate.ts';
import { describe, expect, it } from 'vitest';
import { PAGE_MS, pagesForWindow, ReplayBuffer } from '../src/replay/buffer.ts';
import { PLAYING_URL_EVERY_MS, selectLiveHost, selectReplayActive } from '../src/replay/replaySlice.ts';
import { createAppStore } from '../src/store/index.ts';
import { selectView } from '../src/url/sync.ts';
import { DEFAULT_VIEW, decodeView, encodeView, type View } from '../src/url/view.ts';
import { emptySample, labTopology } from './fixtures/topo.ts';

const T0 = 1_760_000_000_000;
const MARK = {
  id: 'Ab3_x-9Z',
  name: 'INC-4711',
  hosts: null,
  start: T0 + 10_000,
  end: T0 + 70_000,
  created: T0,
  updated: T0,
};

function replayStore() {
  const store = createAppStore(evaluate);
  store.getState().setHost('net-node-3');
  store.getState().setReplayInfo('live', { start: T0, end: T0 + 100_000 }, [MARK]);
  return store;
}

describe('replay slice', () => {
  it('RP1: seek enters replay at an ISO t, clamped to the recorded range; live watches nothing then', () => {
    const store = replayStore();
    expect(selectReplayActive(store.getState())).toBe(false);
    expect(selectLiveHost(store.getState())).toBe('net-node-3');
    store.getState().seek(T0 + 12_345.6);
    expect(store.getState()).toMatchObject({ playhead: T0 + 12_346, t: new Date(T0 + 12_346).toISOString() });
    expect(selectReplayActive(store.getState())).toBe(true);
    expect(selectLiveHost(store.getState())).toBeNull();
    store.getState().seek(T0 - 5000);
    expect(store.getState().playhead).toBe(T0);
    store.getState().seek(T0 + 1e9);
    expect(store.getState().playhead).toBe(T0 + 100_000);
  });

  it('RP2: play advances by wall time × speed, pause writes the exact position, the end pauses', () => {
    const store = replayStore();
    const s = () => store.getState();
    s().seek(T0 + 1000);
    s().setSpeed(4);
    s().play();
    expect(s().playing).toBe(true);
    s().tick(100, 10_000);
    expect(s().playhead).toBe(T0 + 1400);
    // The URL follows at most every PLAYING_URL_EVERY_MS of wall time while playing.
    expect(s().t).toBe(new Date(T0 + 1400).toISOString());
    s().tick(100, 10_000 + PLAYING_URL_EVERY_MS / 2);
    expect(s().playhead).toBe(T0 + 1800);
    expect(s().t).toBe(new Date(T0 + 1400).toISOString());
    s().pause();
    expect(s()).toMatchObject({ playing: false, t: new Date(T0 + 1800).toISOString() });
    s().tick(1000, 20_000);
    expect(s().playhead).toBe(T0 + 1800);
    s().seek(T0 + 99_000);
    s().play();
    s().tick(1000, 30_000);
    expect(s()).toMatchObject({ playhead: T0 + 100_000, playing: false });
    // Play at the end starts over.
    s().play();
    expect(s().playhead).toBe(T0);
  });

  it('RP3: speeds step through 0.25×…16× and stop at the ends; a URL speed snaps to the nearest', () => {
    const store = replayStore();
    const s = () => store.getState();
    const seen: number[] = [];
    for (let i = 0; i < 9; i++) {
      s().stepSpeed(-1);
      seen.push(s().speed);
    }
    expect(seen.slice(0, 3)).toEqual([0.5, 0.25, 0.25]);
    for (let i = 0; i < 9; i++) s().stepSpeed(1);
    expect(s().speed).toBe(16);
    s().setSpeed(3);
    s().stepSpeed(1);
    expect(s().speed).toBe(4);
  });

  it('RP4: a named recording: position in seconds from its start, go live clears everything', () => {
    const store = replayStore();
    const s = () => store.getState();
    s().openRecording(MARK.id, 2.5);
    expect(s()).toMatchObject({ rec: MARK.id, pos: 2.5, playhead: MARK.start + 2500, playing: false });
    s().seek(MARK.start + 30_000);
    expect(s().pos).toBe(30);
    s().goLive();
    expect(s()).toMatchObject({ t: 'live', rec: null, pos: null, playhead: null, playing: false });
    expect(selectReplayActive(s())).toBe(false);
  });

  it('RP5: applyView without a recording closes the one open before', () => {
    const store = replayStore();
    store.getState().openRecording(MARK.id, 1);
    store.getState().applyView({ ...DEFAULT_VIEW, host: 'net-node-3', t: new Date(T0 + 5000).toISOString() });
    expect(store.getState()).toMatchObject({ rec: null, pos: null });
  });
});

describe('URL with time and recording (url/view.ts, additive)', () => {
  const base: View = {
    ...DEFAULT_VIEW,
    host: 'net-node-3',
    from: 'hwlab-up/wan0',
    sel: 'hwlab-qrouter-a1/qg-a1',
  };

  it('RPU1: t=ISO round-trips with host, path, selection and speed', () => {
    const v: View = { ...base, t: '2026-05-01T03:12:07.250Z', speed: 0.25 };
    expect(encodeView(v)).toBe(
      '?host=net-node-3&from=hwlab-up/wan0&sel=hwlab-qrouter-a1/qg-a1&t=2026-05-01T03:12:07.250Z&speed=0.25',
    );
    expect(decodeView(encodeView(v))).toEqual(v);
  });

  it('RPU2: rec=ID&pos=S replaces t and round-trips (ids with - and _ stay readable)', () => {
    const v: View = { ...base, rec: 'Ab3_x-9Z', pos: 12.5, speed: 8 };
    const q = encodeView(v);
    expect(q).toBe(
      '?host=net-node-3&from=hwlab-up/wan0&sel=hwlab-qrouter-a1/qg-a1&rec=Ab3_x-9Z&pos=12.5&speed=8',
    );
    expect(decodeView(q)).toEqual(v);
    expect(decodeView('?rec=X&pos=bad')).toMatchObject({ rec: 'X', pos: 0 });
    expect(decodeView('?t=live')).not.toHaveProperty('rec');
  });

  it('RPU3: the store writes what it replays, and reads it back into the same state', () => {
    const store = replayStore();
    store.getState().select('hwlab-qrouter-a1/qg-a1');
    store.getState().seek(T0 + 42_000);
    const q = encodeView(selectView(store.getState()));
    expect(q).toBe(`?host=net-node-3&sel=hwlab-qrouter-a1/qg-a1&t=${new Date(T0 + 42_000).toISOString()}`);
    const other = createAppStore(evaluate);
    other.getState().applyView(decodeView(q));
    expect(other.getState()).toMatchObject({
      host: 'net-node-3',
      sel: 'hwlab-qrouter-a1/qg-a1',
      t: new Date(T0 + 42_000).toISOString(),
    });
    expect(selectReplayActive(other.getState())).toBe(true);
    store.getState().openRecording(MARK.id, 0);
    store.getState().seek(MARK.start + 7000);
    const rq = encodeView(selectView(store.getState()));
    expect(rq).toContain(`rec=${MARK.id}&pos=7`);
    other.getState().applyView(decodeView(rq));
    expect(other.getState()).toMatchObject({ rec: MARK.id, pos: 7 });
  });
});

describe('replay buffer', () => {
  const topo = labTopology();
  function filled() {
    const b = new ReplayBuffer('h');
    const p = Math.floor(T0 / PAGE_MS);
    for (const page of [p, p + 1]) {
      const samples = [];
      for (let t = page * PAGE_MS + 1000; t <= (page + 1) * PAGE_MS; t += 1000) samples.push(emptySample(t));
      b.add(page, samples, page === p ? [{ t: T0 - 60_000, topology: topo }] : []);
    }
    return { b, p };
  }

  it('RPB1: window and neighbours across a page boundary; nothing across a hole', () => {
    const { b, p } = filled();
    const edge = (p + 1) * PAGE_MS;
    expect(b.samplesUpTo(edge + 2000, edge - 10_000, 5).map((s) => s.t)).toEqual(
      [-2, -1, 0, 1, 2].map((k) => edge + k * 1000),
    );
    expect(b.neighbour(edge, 1)).toBe(edge + 1000);
    expect(b.neighbour(edge + 1000, -1)).toBe(edge);
    expect(b.sampleAt(edge + 1500)?.t).toBe(edge + 1000);
    expect(b.samplesUpTo((p + 3) * PAGE_MS, p * PAGE_MS, 100)).toEqual([]);
    expect(pagesForWindow(edge + 2000, 6000)).toEqual([p + 1, p]);
    expect(pagesForWindow(edge + PAGE_MS - 1000, 6000)).toEqual([p + 1]);
  });

  it('RPB2: topology in force at t; eviction keeps the pages nearest the playhead', () => {
    const { b, p } = filled();
    expect(b.topologyAt(T0)?.t).toBe(T0 - 60_000);
    expect(b.topologyAt(0)?.t).toBe(T0 - 60_000);
    b.evict(p * PAGE_MS, 1);
    expect(b.has(p)).toBe(true);
    expect(b.has(p + 1)).toBe(false);
  });

  it('RPB3: a seek is answered from its window alone, and the window never shrinks while pages arrive', () => {
    const b = new ReplayBuffer('h');
    const p = Math.floor(T0 / PAGE_MS) + 1;
    const t = p * PAGE_MS + 2000; // two samples into page p: the window reaches into page p - 1
    const at = (from: number, to: number) => {
      const out = [];
      for (let x = from; x <= to; x += 1000) out.push(emptySample(x));
      return out;
    };
    b.setLoose(t - 6000, t, at(t - 6000, t), [{ t: 0, topology: topo }]);
    expect(b.samplesUpTo(t, t - 300_000, 300).map((s) => s.t)).toEqual(
      [-6, -5, -4, -3, -2, -1, 0].map((k) => t + k * 1000),
    );
    expect(b.topologyAt(t)?.t).toBe(0);
    b.add(p, at(p * PAGE_MS + 1000, (p + 1) * PAGE_MS), []);
    expect(b.samplesUpTo(t, t - 300_000, 300)).toHaveLength(7);
    b.add(p - 1, at((p - 1) * PAGE_MS + 1000, p * PAGE_MS), []);
    expect(b.samplesUpTo(t, t - 300_000, 300)).toHaveLength(PAGE_MS / 1000 + 2);
  });
});
