import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { timeline } from '../src/http/timeline.ts';
import { openStore } from '../src/index.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';

const T0 = 1_700_000_000_000;
const dir = mkdtempSync(join(tmpdir(), 'hopwatch-timeline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('timeline', () => {
  // Two hours at one sample per 10 s, a burst of drops on veth-a at 00:45.
  const store = openStore(join(dir, 'tl.db'), {
    autoPump: false,
    chunkMs: 60_000,
    now: () => T0 + 3 * 3600_000,
  });
  store.appendTopology('h1', T0, makeTopology('h1'));
  const LOSS_AT = T0 + 45 * 60_000;
  for (let t = T0 + 10_000; t <= T0 + 2 * 3600_000; t += 10_000) {
    const lossy = t === LOSS_AT;
    const ifaces = {
      'veth-a': row({ txPackets: 1000 }),
      'ns1/veth-b': row({ rxPackets: lossy ? 800 : 1000, rxDropped: lossy ? 200 : 0 }),
    };
    store.append('h1', makeSample(t, ifaces, { elapsedMs: 10_000 }));
  }
  store.flush();

  it('with buckets of 10 s or more reads the per-chunk summaries and finds the loss in its bucket', () => {
    const tl = timeline(store, 'h1', T0, T0 + 2 * 3600_000, 12);
    expect(tl.bucketMs).toBe(600_000);
    expect(tl.buckets.reduce((n, b) => n + b.samples, 0)).toBe(720);
    const lossy = tl.buckets.filter((b) => b.drops > 0);
    expect(lossy.map((b) => b.start)).toEqual([T0 + 40 * 60_000]);
    expect(lossy[0]!.worst).toBe('loss');
    expect(tl.buckets.filter((b) => b.worst === 'loss')).toHaveLength(1);
  });

  it('with buckets under 10 s judges the samples themselves, bucket by bucket', () => {
    const tl = timeline(store, 'h1', T0 + 44 * 60_000, T0 + 46 * 60_000, 24);
    expect(tl.bucketMs).toBe(5000);
    expect(tl.buckets.filter((b) => b.samples > 0)).toHaveLength(13);
    expect(tl.buckets.filter((b) => b.worst === 'loss').map((b) => b.start)).toEqual([LOSS_AT]);
  });
});
