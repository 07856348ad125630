import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mergeSamples } from '@hopwatch/shared';
import {
  CHUNK_CODEC,
  chunkHasRoom,
  decodeChunk,
  encodeChunk,
  encodeChunkSummed,
  MAX_CHUNK_ROWS,
  MAX_CHUNK_SAMPLES,
  rowsOf,
} from '../src/store/chunk.ts';
import { summarize } from '../src/state/summary.ts';
import { buildChunkRow } from '../src/store/chunkRow.ts';
import { SampleColumns } from '../src/store/columns.ts';
import cols1 from './fixtures/chunk-cols1.json' with { type: 'json' };
import { openStore, type Store } from '../src/store/store.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';

const T0 = 1_700_000_000_000;
const dirs: string[] = [];
const stores: Store[] = [];
function tmpDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hopwatch-store-'));
  dirs.push(dir);
  return join(dir, 'rec.db');
}
function open(path: string, opts: Parameters<typeof openStore>[1] = {}) {
  const s = openStore(path, { autoPump: false, now: () => T0 + 3600_000, ...opts });
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('chunk codec', () => {
  it('round-trips samples exactly, including absent and all-zero rows', () => {
    const samples = [
      makeSample(T0, { a: row({ rxPackets: 5 }), b: row() }),
      makeSample(T0 + 1000, { b: row({ txDropped: 2, txBytes: 1e15 + 1 }) }),
      makeSample(
        T0 + 2000,
        {},
        { drops: [{ reason: 'CPU_BACKLOG', location: 'enqueue_to_backlog', cpu: 1, count: 3 }] },
      ),
    ];
    const kf = { t: T0, ifaces: { a: row().map(String) }, softnet: [] };
    const back = decodeChunk(CHUNK_CODEC, encodeChunk(samples, [kf]));
    expect(back.samples).toEqual(samples);
    expect(back.keyframes).toEqual([kf]);
  });

  it('cols2: integers past 2^32 and 2^53, fractions and huge values come back exactly', () => {
    const big = [2 ** 32 + 1, 2 ** 53 - 1, 2 ** 53 + 2, 0.5, 1e300, 127, 128, 16383, 16384];
    const samples = big.map((v, i) => makeSample(T0 + i * 1000, { a: row({ rxBytes: v, txPackets: i }) }));
    // A column of integers only, one with a fraction, one past 2^53: each its own encoding.
    samples.push(makeSample(T0 + 99_000, { a: row({ rxBytes: 3 }), b: row({ rxDropped: 2 ** 40 }) }));
    expect(decodeChunk(CHUNK_CODEC, encodeChunk(samples, [])).samples).toEqual(samples);
  });

  it('chunks encoded one after another each decode to their own samples (one scratch buffer)', () => {
    const many = Array.from({ length: 5 }, (_, i) =>
      makeSample(T0 + i * 1000, { a: row({ rxBytes: 1e6 + i }) }),
    );
    const few = [makeSample(T0, { b: row({ txPackets: 3 }) })];
    const big = encodeChunk(many, []);
    const small = encodeChunk(few, []);
    expect(decodeChunk(CHUNK_CODEC, big).samples).toEqual(many);
    expect(decodeChunk(CHUNK_CODEC, small).samples).toEqual(few);
  });

  it('reads chunks written by the cols1 codec (recordings made before issue 12)', () => {
    const back = decodeChunk(cols1.codec, Buffer.from(cols1.data, 'base64'));
    expect(back.samples).toEqual(cols1.samples);
    expect(back.keyframes).toEqual(cols1.keyframes);
    expect(() => decodeChunk('cols9+xz', Buffer.from(cols1.data, 'base64'))).toThrow(/unknown chunk codec/);
  });

  it("the encoder's per-interface sums are mergeSamples' rows, and the chunk summary is the merged window's", () => {
    const samples = [
      makeSample(T0, { a: row({ rxPackets: 5, rxBytes: 0.25 }), b: row() }),
      makeSample(T0 + 1000, { b: row({ txDropped: 2, txBytes: 1e15 + 1 }) }),
      makeSample(
        T0 + 2000,
        { a: row({ rxPackets: 7, rxBytes: 0.5 }) },
        {
          drops: [{ reason: 'CPU_BACKLOG', location: 'enqueue_to_backlog', cpu: 1, count: 3 }],
        },
      ),
    ];
    expect(encodeChunkSummed(samples, []).ifaceSums).toEqual(mergeSamples(samples)!.ifaces);
    const topo = makeTopology('h', ['a', 'b']);
    const columns = new SampleColumns();
    for (const x of samples) columns.add(x);
    const fromColumns = buildChunkRow('h', { columns }, [], topo, (e) => {
      throw e;
    });
    const fromSamples = buildChunkRow('h', { samples }, [], topo, (e) => {
      throw e;
    });
    expect(fromColumns?.summary).toBe(fromSamples?.summary);
    expect(JSON.parse(fromColumns!.summary!)).toEqual(summarize(topo, samples));
    expect(summarize(topo, samples).drops).toBeGreaterThan(0);
  });
});

describe('store', () => {
  it('reads back what was appended, before and after flush and across reopen', () => {
    const path = tmpDb();
    const s = open(path, { chunkMs: 3000 });
    for (let i = 1; i <= 10; i++)
      expect(s.append('h1', makeSample(T0 + i * 1000, { a: row({ rxPackets: i }) }))).toBe(true);
    expect(s.lastT('h1')).toBe(T0 + 10_000);
    expect(s.readRange('h1', T0, T0 + 20_000).samples.map((x) => x.ifaces.a?.[1])).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
    s.flush();
    expect(s.stats().chunks).toBeGreaterThanOrEqual(3);
    s.close();
    const again = open(path);
    expect(again.lastT('h1')).toBe(T0 + 10_000);
    expect(again.hosts()).toEqual(['h1']);
    const r = again.readRange('h1', T0 + 3000, T0 + 5000);
    expect(r.samples.map((x) => x.t)).toEqual([T0 + 3000, T0 + 4000, T0 + 5000]);
  });

  it('CHUNK1: a chunk closes at MAX_CHUNK_SAMPLES or MAX_CHUNK_ROWS, whatever chunkMs, so the reader takes every one back', () => {
    const path = tmpDb();
    const s = open(path, { chunkMs: 600_000 });
    // 10 001 samples 50 ms apart: within one 600 s chunk by time, one past the sample bound.
    const n = MAX_CHUNK_SAMPLES + 1;
    for (let i = 1; i <= n; i++) expect(s.append('h1', makeSample(T0 + i * 50))).toBe(true);
    s.close();
    const again = open(path);
    expect(again.readRange('h1', T0, T0 + n * 50).samples).toHaveLength(n);
    expect(again.stats().chunks).toBe(2);
    expect(rowsOf(makeSample(T0, { a: row(), b: row() }))).toBe(2);
    expect(chunkHasRoom(0, MAX_CHUNK_ROWS - 2, 2)).toBe(true);
    expect(chunkHasRoom(0, MAX_CHUNK_ROWS - 1, 2)).toBe(false);
    expect(chunkHasRoom(MAX_CHUNK_SAMPLES, 0, 0)).toBe(false);
  });

  it('refuses samples that are not newer than the last one (out of order)', () => {
    const s = open(tmpDb());
    expect(s.append('h1', makeSample(T0 + 2000))).toBe(true);
    expect(s.append('h1', makeSample(T0 + 2000))).toBe(false);
    expect(s.append('h1', makeSample(T0 + 1000))).toBe(false);
    expect(s.readRange('h1', 0, T0 * 2).samples).toHaveLength(1);
  });

  it('stores topology versions only when they change and answers the version in force at start', () => {
    const s = open(tmpDb());
    const v1 = makeTopology('h1', ['a']);
    const v2 = makeTopology('h1', ['a', 'b']);
    expect(s.appendTopology('h1', T0, v1)).toBe(true);
    expect(s.appendTopology('h1', T0 + 500, v1)).toBe(false);
    expect(s.appendTopology('h1', T0 + 5000, v2)).toBe(true);
    for (let i = 1; i <= 8; i++) s.append('h1', makeSample(T0 + i * 1000));
    const r = s.readRange('h1', T0 + 2000, T0 + 8000);
    expect(r.topologies.map((x) => [x.t, x.topology.ifaces.length])).toEqual([
      [T0, 1],
      [T0 + 5000, 2],
    ]);
    expect(s.readRange('h1', T0 + 6000, T0 + 8000).topologies.map((x) => x.t)).toEqual([T0 + 5000]);
  });

  it('truncates long ranges at maxSamples and says where to go on', () => {
    const s = open(tmpDb(), { chunkMs: 2000 });
    for (let i = 1; i <= 10; i++) s.append('h1', makeSample(T0 + i * 1000));
    s.flush();
    const r = s.readRange('h1', T0, T0 + 20_000, { maxSamples: 4 });
    expect(r.samples.map((x) => x.t - T0)).toEqual([1000, 2000, 3000, 4000]);
    expect(r).toMatchObject({ truncated: true, nextStart: T0 + 4001 });
  });

  it('retention by age removes old chunks and keeps the topology needed for what is left', () => {
    let now = T0 + 100_000;
    const s = open(tmpDb(), { chunkMs: 1000, retentionMs: 50_000, now: () => now });
    s.appendTopology('h1', T0, makeTopology('h1', ['a']));
    s.appendTopology('h1', T0 + 30_000, makeTopology('h1', ['a', 'b']));
    for (let i = 1; i <= 90; i++) s.append('h1', makeSample(T0 + i * 1000, { a: row({ rxPackets: i }) }));
    s.flush();
    now = T0 + 120_000;
    const { deletedChunks } = s.enforceRetention();
    expect(deletedChunks).toBeGreaterThan(0);
    const r = s.readRange('h1', 0, T0 + 200_000);
    expect(r.samples[0]!.t).toBeGreaterThanOrEqual(T0 + 70_000);
    expect(r.samples.at(-1)!.t).toBe(T0 + 90_000);
    expect(r.topologies.map((x) => x.t)).toEqual([T0 + 30_000]);
  });

  it('retention by size deletes the oldest chunks until under the limit', () => {
    const s = open(tmpDb(), { chunkMs: 1000, retentionBytes: 3000 });
    const ifaces = Object.fromEntries(
      Array.from({ length: 50 }, (_, k) => [
        `ns/if${k}`,
        row({ rxPackets: (k * 7919) % 1000, rxBytes: k * 1e6 }),
      ]),
    );
    for (let i = 1; i <= 40; i++) s.append('h1', makeSample(T0 + i * 1000, ifaces));
    s.flush();
    const before = s.stats().bytes;
    expect(before).toBeGreaterThan(3000);
    s.enforceRetention();
    expect(s.stats().bytes).toBeLessThanOrEqual(3000);
    const r = s.readRange('h1', 0, T0 * 2);
    expect(r.samples.length).toBeGreaterThan(0);
    expect(r.samples.at(-1)!.t).toBe(T0 + 40_000);
  });

  it('a keyframe before the first sample (as agents send on connect) is kept with the first chunk', () => {
    const s = open(tmpDb(), { chunkMs: 1000 });
    const kf = { t: T0, ifaces: { a: row().map(String) }, softnet: [] };
    s.appendKeyframe('h1', kf);
    expect(s.append('h1', makeSample(T0 + 1000))).toBe(true);
    s.flush();
    expect(s.readRange('h1', 0, T0 * 2)).toMatchObject({ keyframes: [kf], samples: [{ t: T0 + 1000 }] });
  });

  it('a read-only second handle reads what a writer committed', () => {
    const path = tmpDb();
    const w = open(path, { chunkMs: 1000 });
    for (let i = 1; i <= 3; i++) w.append('h1', makeSample(T0 + i * 1000));
    w.flush();
    const r = open(path, { readonly: true });
    expect(r.readRange('h1', 0, T0 * 2).samples).toHaveLength(3);
  });
});
