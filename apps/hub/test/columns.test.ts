import { IFACE_COUNTERS, type Sample } from '@hopwatch/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HubCore } from '../src/core.ts';
import { createOnceLogger, silentLogger } from '../src/log.ts';
import { LatestSample } from '../src/state/latest.ts';
import { RowPacker } from '../src/state/rows.ts';
import { HostTotals } from '../src/state/totals.ts';
import { ArenaPool, classLength, POOL_MAX_BYTES } from '../src/store/arenaPool.ts';
import { CHUNK_CODEC, decodeChunk, encodeChunk, encodeColumns } from '../src/store/chunk.ts';
import { columnPools, MAX_COLUMN_VALUES, SampleColumns } from '../src/store/columns.ts';
import { openStore, type Store } from '../src/store/store.ts';
import cols2 from './fixtures/chunk-cols2.json' with { type: 'json' };
import { makeSample, makeTopology, row } from './helpers/data.ts';

/**
 * COLS1–COLS8 (issue 12): the open chunk keeps its samples as typed-array columns filled on
 * arrival (store/columns.ts), whose arrays a written chunk lends to the next (arenaPool.ts),
 * and the hub keeps each host's latest sample in reusable buffers (state/latest.ts). Whatever goes in must come out exactly, through the columns, the chunk
 * codec and the recording's pending reads alike.
 */
const T0 = 1_700_000_000_000;
const stores: Store[] = [];
const cores: HubCore[] = [];
afterEach(() => {
  for (const c of cores.splice(0)) c.stop();
  for (const s of stores.splice(0)) s.close();
  vi.restoreAllMocks();
});

function columnsOf(samples: readonly Sample[]): SampleColumns {
  const cols = new SampleColumns();
  for (const s of samples) cols.add(s);
  return cols;
}

/** Samples a hostile agent (or an unlucky host) can send within one chunk. */
function hostileChunk(): Sample[] {
  const out: Sample[] = [];
  // Interfaces appearing and disappearing mid-chunk, one sample with none.
  out.push(makeSample(T0, { a: row({ rxPackets: 5, rxBytes: 500 }), b: row() }));
  out.push(makeSample(T0 + 1000, { b: row({ txDropped: 2 }), c: row({ rxFifo: 1 }) }));
  out.push(makeSample(T0 + 2000, {}));
  // A counter reset: the delta across it is huge (2^53 − 1), then small again; a fraction.
  out.push(makeSample(T0 + 3000, { a: row({ rxBytes: 2 ** 53 - 1, rxPackets: 0.5 }) }));
  out.push(makeSample(T0 + 4000, { a: row({ rxBytes: 3, rxPackets: 1 }), c: row({ txCarrier: 2 ** 40 }) }));
  // A topology change mid-chunk: every interface renamed (a namespace recreated), new order.
  out.push(makeSample(T0 + 5000, { 'ns9/b': row({ txPackets: 9 }), 'ns9/a': row({ rxPackets: 1 }) }));
  out.push(
    makeSample(
      T0 + 6000,
      { 'ns9/a': row({ rxPackets: 2 }), 'ns9/b': row({ txPackets: 10 }) },
      {
        elapsedMs: 999.25,
        drops: [{ reason: 'CPU_BACKLOG', location: 'enqueue_to_backlog', cpu: 1, count: 3 }],
        qdiscs: {
          'ns9/a': {
            kind: 'fq_codel',
            packets: 9,
            bytes: 900,
            drops: 4,
            overlimits: 0,
            requeues: 0,
            qlen: 1,
          },
        },
      },
    ),
  );
  // -0 is read back as 0 (JSON has no -0 either); a column that turns non-zero only late.
  out.push(makeSample(T0 + 7000, { 'ns9/a': row({ rxPackets: -0, txFifo: 7 }) }));
  return out;
}

/** What a sample is once through JSON (the wire, and the recording before issue 12): -0 is 0. */
const viaJson = (s: readonly Sample[]) => JSON.parse(JSON.stringify(s)) as Sample[];

describe('open chunk columns', () => {
  it('COLS1: the columns give back exactly the samples that went in, hostile ones too', () => {
    const samples = hostileChunk();
    const cols = columnsOf(samples);
    expect(cols.length).toBe(samples.length);
    expect(cols.samples()).toEqual(viaJson(samples));
    expect(Object.is(cols.sampleAt(7).ifaces['ns9/a']![1], 0)).toBe(true);
    // Absent interfaces stay absent (not rows of zeros), present all-zero ones stay present.
    expect(Object.keys(cols.sampleAt(2).ifaces)).toEqual([]);
    expect(cols.sampleAt(0).ifaces.b).toEqual(row());
    expect(cols.rows).toBe(samples.reduce((n, s) => n + Object.keys(s.ifaces).length, 0));
  });

  it('COLS1: growing past the columns’ room (samples, interfaces, non-zero columns) loses nothing', () => {
    // 100 ms samples (100 a chunk) over 300 interfaces, a new one every sample: every array grows.
    const samples = Array.from({ length: 100 }, (_, i) => {
      const ifaces: Record<string, number[]> = {};
      for (let k = 0; k < 200 + i; k++)
        if ((k + i) % 7 !== 0) ifaces[`ns/if${k}`] = row({ rxBytes: k * 1000 + i, txPackets: (k * i) % 5 });
      return makeSample(T0 + i * 100, ifaces, { elapsedMs: 100 });
    });
    const cols = columnsOf(samples);
    expect(cols.samples()).toEqual(samples);
    // Laid out from the hint of a chunk like it: the same answer.
    const again = new SampleColumns(cols.hint());
    for (const s of samples) again.add(s);
    expect(again.samples()).toEqual(samples);
  });

  it('COLS2: the columns encode to the bytes the cols2 encoder wrote before them, which the reader reads', () => {
    const samples = cols2.samples as Sample[];
    const data = Buffer.from(cols2.data, 'base64');
    expect(encodeColumns(columnsOf(samples), cols2.keyframes).data.equals(data)).toBe(true);
    const back = decodeChunk(cols2.codec, data);
    expect(back.samples).toEqual(samples);
    expect(back.keyframes).toEqual(cols2.keyframes);
    // And the hostile chunk, through the codec.
    const hostile = hostileChunk();
    expect(decodeChunk(CHUNK_CODEC, encodeChunk(hostile, [])).samples).toEqual(viaJson(hostile));
  });

  it('COLS3: a recording answers the same from its open chunk, its queue and its file', () => {
    const s = openStore(':memory:', { autoPump: false, now: () => T0 });
    stores.push(s);
    s.appendTopology('h', T0 - 1000, makeTopology('h', ['a', 'b', 'c']));
    const samples = hostileChunk();
    // Past 10 s the next sample closes the chunk (queued, not yet written).
    const later = [makeSample(T0 + 12_000, { a: row({ rxPackets: 1 }) }), makeSample(T0 + 13_000, {})];
    for (const x of [...samples, ...later]) expect(s.append('h', x)).toBe(true);
    s.appendTopology('h', T0 + 5500, makeTopology('h', ['ns9/a', 'ns9/b']));
    const all = viaJson([...samples, ...later]);
    expect(s.readRange('h', 0, T0 + 60_000).samples).toEqual(all);
    expect(s.stats().samplesPending).toBe(all.length);
    s.flush();
    expect(s.stats().samplesPending).toBe(0);
    expect(s.readRange('h', 0, T0 + 60_000).samples).toEqual(all);
    expect(s.readRange('h', T0 + 3000, T0 + 5000).samples).toEqual(all.slice(3, 6));
  });
});

describe('the latest sample', () => {
  it('COLS4: LatestSample gives back the last sample set, as interfaces come, go and reorder', () => {
    const l = new LatestSample();
    for (const s of hostileChunk()) {
      l.set(s);
      expect(l.sample()).toEqual(viaJson([s])[0]);
      expect(l.json()).toBe(JSON.stringify(s));
      expect(l.t).toBe(s.t);
    }
    // Fewer interfaces after many: nothing of the longer sample is left over.
    const many: Record<string, number[]> = {};
    for (let k = 0; k < 50; k++) many[`if${k}`] = row({ rxBytes: k + 1 });
    l.set(makeSample(T0 + 9000, many));
    l.set(makeSample(T0 + 10_000, { if3: row({ txBytes: 1 }) }));
    expect(l.sample().ifaces).toEqual({ if3: row({ txBytes: 1 }) });
  });

  it('COLS4: a sample is serialised only while someone watches its host', () => {
    const store = openStore(':memory:', { autoPump: false, now: () => T0 });
    stores.push(store);
    const core = new HubCore(store, silentLogger, createOnceLogger(silentLogger), () => T0 + 60_000);
    cores.push(core);
    const stringify = vi.spyOn(JSON, 'stringify');
    const sent: string[] = [];
    const serialised = (s: Sample) => stringify.mock.calls.filter(([x]) => x === s).length;
    const first = makeSample(T0, { a: row({ rxPackets: 1 }) });
    core.onSample('h', { type: 'sample', seq: 1, backfill: false, sample: first });
    expect(serialised(first)).toBe(0);
    core.bus.watch('h', { topology() {}, sample: (_h, json) => sent.push(json) });
    // The watcher got the latest sample at once, made from the kept copy.
    expect(sent.map((j) => JSON.parse(j))).toEqual([first]);
    const second = makeSample(T0 + 1000, { a: row({ rxPackets: 2 }) });
    core.onSample('h', { type: 'sample', seq: 2, backfill: false, sample: second });
    expect(serialised(second)).toBe(1);
    expect(JSON.parse(sent[1]!)).toEqual(second);
  });

  it("COLS9: the host's latest sample and its open chunk keep one text of the sample's rest, not the frame's objects", () => {
    const store = openStore(':memory:', { autoPump: false, now: () => T0 });
    stores.push(store);
    const core = new HubCore(store, silentLogger, createOnceLogger(silentLogger), () => T0 + 60_000);
    cores.push(core);
    const stringify = vi.spyOn(JSON, 'stringify');
    const sample = makeSample(T0, { a: row({ rxPackets: 1 }) });
    const expected = viaJson([sample])[0];
    core.onSample('h', { type: 'sample', seq: 1, backfill: false, sample });
    // One JSON text of the rest (softnet, drops...), shared by the chunk and the latest sample.
    expect(
      stringify.mock.calls.filter(([x]) => typeof x === 'object' && x !== null && 'softnet' in x),
    ).toHaveLength(1);
    // Nothing of the frame's objects is held: the caller may drop or reuse them at once.
    sample.softnet[0]!.processed = 999;
    sample.drops.push({ reason: 'X', location: 'y', cpu: 0, count: 1 });
    expect(core.hosts.get('h')!.latest!.sample()).toEqual(expected);
    expect(store.readRange('h', 0, T0 + 1).samples).toEqual([expected]);
  });
});

describe('running totals', () => {
  it('COLS5: HostTotals sums every row whatever the order and set of interfaces from sample to sample', () => {
    const totals = new HostTotals();
    const samples = [...hostileChunk(), ...hostileChunk().reverse()];
    for (const s of samples) totals.add(s);
    const want = new Map<string, number>();
    for (const s of samples)
      for (const [id, r] of Object.entries(s.ifaces)) want.set(id, (want.get(id) ?? 0) + r[1]!);
    for (const [id, n] of want) expect(totals.ifaces.get(id)![1]).toBe(n);
    expect([...totals.ifaces.keys()].sort()).toEqual([...want.keys()].sort());
  });
});

describe('one walk over the rows', () => {
  it('COLS7: RowPacker hands out the same ids array while the ids repeat, a new one otherwise, and never changes one', () => {
    const p = new RowPacker();
    const a = p.pack({ x: row(), y: row() });
    expect(p.pack({ x: row(), y: row({ rxPackets: 1 }) }).ids).toBe(a.ids);
    const b = p.pack({ y: row(), x: row() });
    expect(b.ids).not.toBe(a.ids);
    expect([a.ids, b.ids]).toEqual([
      ['x', 'y'],
      ['y', 'x'],
    ]);
    const c = p.pack({ y: row() });
    expect([b.ids, c.ids]).toEqual([['y', 'x'], ['y']]);
    expect(p.pack({ y: row(), z: row() }).ids).toEqual(['y', 'z']);
    expect(p.pack({}).ids).toEqual([]);
  });

  it('COLS7: a host whose interfaces repeat, then come, go and reorder: its recording, totals and latest sample follow the ids', () => {
    const store = openStore(':memory:', { autoPump: false, now: () => T0 });
    stores.push(store);
    const core = new HubCore(store, silentLogger, createOnceLogger(silentLogger), () => T0 + 60_000);
    cores.push(core);
    const steady = (t: number, k: number) =>
      makeSample(t, { a: row({ rxPackets: k }), b: row({ txPackets: k }) });
    const samples = [
      steady(T0 - 2000, 1),
      steady(T0 - 1000, 2),
      ...hostileChunk(),
      steady(T0 + 8000, 3),
      steady(T0 + 9000, 4),
      // A second chunk: its columns start from the host's ids array as it stands.
      steady(T0 + 20_000, 5),
      steady(T0 + 21_000, 6),
    ];
    for (const [i, s] of samples.entries())
      expect(core.onSample('h', { type: 'sample', seq: i, backfill: false, sample: s })).toBe('ok');
    const state = core.hosts.get('h')!;
    expect(state.latest!.sample()).toEqual(viaJson([samples.at(-1)!])[0]);
    // Pending (open chunks) and written chunks alike.
    expect(store.readRange('h', 0, T0 + 60_000).samples).toEqual(viaJson(samples));
    store.flush();
    expect(store.readRange('h', 0, T0 + 60_000).samples).toEqual(viaJson(samples));
    const want = new Map<string, number>();
    for (const s of samples)
      for (const [id, r] of Object.entries(s.ifaces)) want.set(id, (want.get(id) ?? 0) + r[1]! + r[9]!);
    for (const [id, n] of want) {
      const acc = state.totals.ifaces.get(id)!;
      // IFACE_TOTALS order: receive_bytes, receive_packets, ..., transmit_packets at 5.
      expect(acc[1]! + acc[5]!).toBe(n);
    }
  });
});

describe('bounds', () => {
  it('COLS6: a chunk laid out for many samples does not give a sample of many rows room for as many', () => {
    const s = openStore(':memory:', { autoPump: false, now: () => T0 });
    stores.push(s);
    const busy = row(Object.fromEntries(IFACE_COUNTERS.map((c) => [c, 3])));
    // 10 000 one-row samples fill a chunk (MAX_CHUNK_SAMPLES): the next one is laid out for as many.
    for (let i = 0; i < 10_000; i++) s.append('h', makeSample(T0 + i, { a: busy }, { elapsedMs: 1 }));
    const wide: Record<string, number[]> = {};
    for (let k = 0; k < 2000; k++) wide[`if${k}`] = busy;
    const before = process.memoryUsage().arrayBuffers;
    // Without the bound: 2000 rows × 16 columns × 10 000 samples, 2.5 GB.
    for (let i = 0; i < 3; i++) s.append('h', makeSample(T0 + 20_000 + i, wide, { elapsedMs: 1 }));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
    expect(
      s.readRange('h', T0 + 20_000, T0 + 30_000).samples.map((x) => Object.keys(x.ifaces).length),
    ).toEqual([2000, 2000, 2000]);
    // Past the bound the pump closes the chunk instead of growing it: valuesIfAdded says when.
    const cols = new SampleColumns(undefined, 2000);
    cols.add(makeSample(T0, wide));
    expect(cols.valuesIfAdded(2000)).toBeLessThanOrEqual(MAX_COLUMN_VALUES);
    expect(cols.valuesIfAdded(100_000)).toBeGreaterThan(MAX_COLUMN_VALUES);
  });
});

describe("the columns' arrays, lent from chunk to chunk", () => {
  it('COLS8: the pool lends an array back cleared (0, or -1 for the slot table), sized by class', () => {
    const pool = new ArenaPool((n) => new Int32Array(n), -1);
    const a = pool.take(5000);
    expect(a.length).toBe(classLength(5000));
    expect(classLength(5000)).toBeGreaterThanOrEqual(5000);
    expect(classLength(5000)).toBeLessThanOrEqual(5000 * 1.25);
    a.fill(7);
    pool.give(a);
    // Another size of the same class gets the same array, every element -1 again.
    const b = pool.take(classLength(5000) - 3);
    expect(b).toBe(a);
    expect(b.every((x) => x === -1)).toBe(true);
    expect([pool.made, pool.reused]).toEqual([1, 1]);
    // Bounded: it keeps no more than POOL_MAX_BYTES.
    for (let i = 0; i < 20; i++) pool.give(new Int32Array(classLength(POOL_MAX_BYTES / 16)));
    expect(pool.heldBytes()).toBeLessThanOrEqual(POOL_MAX_BYTES);
  });

  it("COLS8: a written chunk's arrays serve the next chunks, which read back only their own samples", () => {
    const s = openStore(':memory:', { autoPump: false, now: () => T0 });
    stores.push(s);
    const many = (n: number, offset: number, t: number) => {
      const ifaces: Record<string, number[]> = {};
      for (let k = 0; k < n; k++) ifaces[`ns/if${k + offset}`] = row({ rxBytes: 1000 + k, txDropped: k % 3 });
      return makeSample(t, ifaces);
    };
    const made = () => columnPools.arena.made + columnPools.colAt.made;
    const chunk = (from: number, f: (t: number, i: number) => Sample) =>
      Array.from({ length: 10 }, (_, i) => f(T0 + from + i * 1000, i));
    // Chunk 1: 600 busy interfaces. Chunk 2 is laid out like it (the host's hint): its arrays are
    // chunk 1's, none made. Chunks 3 and 4: other interfaces and counters in those arrays.
    const first = chunk(0, (t) => many(600, 0, t));
    const second = chunk(20_000, (t) => many(600, 0, t));
    const third = chunk(40_000, (t, i) => makeSample(t, { [`ns/other${i % 2}`]: row({ txPackets: i }) }));
    const fourth = chunk(60_000, (t) => many(500, 300, t));
    for (const x of first) s.append('h', x);
    s.flush();
    const madeBefore = made();
    for (const x of second) s.append('h', x);
    expect(made()).toBe(madeBefore);
    s.flush();
    for (const x of third) s.append('h', x);
    s.flush();
    for (const x of fourth) s.append('h', x);
    s.flush();
    // Nothing of an earlier chunk shows through the arrays it lent.
    const range = (a: number, b: number) => s.readRange('h', T0 + a, T0 + b).samples;
    expect(range(-5000, 15_000)).toEqual(viaJson(first));
    expect(range(15_000, 35_000)).toEqual(viaJson(second));
    expect(range(35_000, 55_000)).toEqual(viaJson(third));
    expect(range(55_000, 75_000)).toEqual(viaJson(fourth));
  });

  it('COLS8: columns handed back refuse to be read or added to', () => {
    const cols = columnsOf(hostileChunk());
    cols.release();
    expect(() => cols.sampleAt(0)).toThrow(/after their chunk was written/);
    expect(() => cols.column(0, 0)).toThrow(/after their chunk was written/);
    expect(() => cols.add(makeSample(T0, {}))).toThrow(/after their chunk was written/);
  });
});
