import type { Sample } from '@hopwatch/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JudgeRequest } from '../src/judge/protocol.ts';
import type { RecordingPage } from '../src/replay/api.ts';
import { pageStart } from '../src/replay/buffer.ts';
import { startClock } from '../src/replay/clock.ts';
import { createFeeder, MAX_APPENDED_SAMPLES } from '../src/replay/feeder.ts';
import { createPager } from '../src/replay/pager.ts';
import { labSample } from './fixtures/topo.ts';

/** Replay's three parts, each alone: clock (playback beats), pager (pages), feeder (the judge's input). */
const T0 = 1_760_000_000_000;
const samples = (from: number, n: number): Sample[] =>
  Array.from({ length: n }, (_, i) => labSample(T0 + (from + i) * 1000, 1000, 0));

afterEach(() => {
  vi.useRealTimers();
});

describe('replay clock', () => {
  it('RPK1: ticks with the real time passed (a late beat is not lost), only while playing', () => {
    vi.useFakeTimers();
    let now = 0;
    let playing = true;
    const ticks: number[] = [];
    const stop = startClock({
      now: () => now,
      wall: () => T0 + now,
      playing: () => playing,
      onPlayingChange: () => () => {},
      tick: (ms) => ticks.push(ms),
      everyMs: 100,
    });
    now = 100;
    vi.advanceTimersByTime(100);
    now = 350; // a busy main thread: the beat came 250 ms late
    vi.advanceTimersByTime(100);
    playing = false;
    now = 450;
    vi.advanceTimersByTime(100);
    stop();
    now = 550;
    vi.advanceTimersByTime(500);
    expect(ticks).toEqual([100, 250]);
  });

  it('RPK8: no timer runs while paused or live; play starts counting at the press', () => {
    vi.useFakeTimers();
    let now = 0;
    let playing = false;
    const listeners = new Set<() => void>();
    const setPlaying = (p: boolean) => {
      playing = p;
      for (const cb of listeners) cb();
    };
    const ticks: number[] = [];
    const stop = startClock({
      now: () => now,
      wall: () => T0 + now,
      playing: () => playing,
      onPlayingChange: (cb) => {
        listeners.add(cb);
        return () => listeners.delete(cb);
      },
      tick: (ms) => ticks.push(ms),
      everyMs: 100,
    });
    expect(vi.getTimerCount()).toBe(0);
    now = 5000; // five seconds live or paused: none of it is played
    vi.advanceTimersByTime(5000);
    setPlaying(true);
    now = 5100;
    vi.advanceTimersByTime(100);
    setPlaying(false);
    expect(vi.getTimerCount()).toBe(0);
    setPlaying(true);
    stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(listeners.size).toBe(0);
    expect(ticks).toEqual([100]);
  });
});

describe('replay pager', () => {
  const page = (_host: string, start: number): RecordingPage => ({
    samples: [labSample(start + 1000, 1000, 0)],
    topologies: [],
  });

  it('RPK2: one request per page however many ask; a loaded page costs nothing', async () => {
    const asked: number[] = [];
    const pager = createPager(async (host, start) => {
      asked.push(start);
      return page(host, start);
    });
    const p = Math.floor(T0 / 10_000);
    await Promise.all([pager.load('a', p), pager.load('a', p), pager.load('a', p + 1)]);
    await pager.load('a', p);
    expect(asked).toEqual([pageStart(p), pageStart(p + 1)]);
    expect(pager.current()?.has(p)).toBe(true);
  });

  it('RPK3: a page answered after the host changed is dropped, not merged into the new host', async () => {
    let release: (() => void) | null = null;
    const pager = createPager(
      (host, start) =>
        new Promise((resolve) => {
          release = () => resolve(page(host, start));
        }),
    );
    const p = Math.floor(T0 / 10_000);
    const late = pager.load('a', p);
    const other = pager.bufferFor('b');
    (release as unknown as () => void)();
    await late;
    expect(other.has(p)).toBe(false);
    expect(pager.current()?.host).toBe('b');
  });
});

describe('replay feeder', () => {
  it('RPK4: playing forward appends only the new samples (decoded, no wire frame built by hand)', () => {
    const sent: JudgeRequest[] = [];
    const feeder = createFeeder((r) => sent.push(r));
    const h = samples(0, 10);
    feeder.feed('lab', 1, h, true);
    feeder.feed('lab', 1, [...h, ...samples(10, 2)], true);
    expect(sent.map((r) => r.kind)).toEqual(['window', 'append']);
    const append = sent[1] as Extract<JudgeRequest, { kind: 'append' }>;
    expect(append.samples.map((s) => s.t)).toEqual([T0 + 10_000, T0 + 11_000]);
  });

  it('RPK5: a seek back, a jump too far ahead or another topology resends the whole window', () => {
    const sent: JudgeRequest[] = [];
    const feeder = createFeeder((r) => sent.push(r));
    const h = samples(0, 10);
    feeder.feed('lab', 1, h, true);
    feeder.feed('lab', 1, h.slice(0, 5), false); // back
    feeder.feed('lab', 1, samples(0, 5 + MAX_APPENDED_SAMPLES + 1), true); // a jump
    feeder.feed('lab', 2, samples(0, 36), true); // another topology
    expect(sent.map((r) => r.kind)).toEqual(['window', 'window', 'window', 'window']);
  });

  it('RPK6: older history alone is resent when paused (sparklines), not while playing; reset starts over', () => {
    const sent: JudgeRequest[] = [];
    const feeder = createFeeder((r) => sent.push(r));
    feeder.feed('lab', 1, samples(5, 5), true);
    feeder.feed('lab', 1, samples(0, 10), true);
    expect(sent).toHaveLength(1);
    feeder.feed('lab', 1, samples(0, 10), false);
    expect(sent).toHaveLength(2);
    feeder.feed('lab', 1, samples(0, 10), false);
    expect(sent).toHaveLength(2);
    feeder.reset();
    feeder.feed('lab', 1, samples(0, 10), false);
    expect(sent).toHaveLength(3);
  });
});
