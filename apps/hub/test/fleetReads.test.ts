import { describe, expect, it } from 'vitest';
import { fleetNames } from '../src/fleet/connect.ts';
import { fromIndex, LOAD_MAX_SAMPLES, RangeLoader } from '../src/fleet/loader.ts';
import { type CachedChunk, type ChunkEntry, ReadCache, SUMMARY_HOURS_KEPT } from '../src/fleet/readCache.ts';
import { FleetReads, type OwnerPending } from '../src/fleet/reads.ts';
import { ENTRY_SAMPLES_MAX, type IndexedSummary, summaryList } from '../src/fleet/summaries.ts';
import { RECORDING_MAX_SAMPLES } from '../src/http/api.ts';
import { DIAGNOSIS_MAX_SAMPLES } from '../src/http/api.ts';
import { TIMELINE_RAW_MAX_SAMPLES } from '../src/http/timeline.ts';
import { silentLogger } from '../src/log.ts';
import { EXPORT_PAGE_SAMPLES } from '../src/replay/export.ts';
import { CHUNK_CODEC, encodeChunk } from '../src/store/chunk.ts';
import { makeSample, row } from './helpers/data.ts';

/** The fleet's synchronous reads (fleet/reads.ts) over its cache (fleet/readCache.ts), no NATS. */
const T0 = 1_700_000_000_000;
const kf = (t: number) => ({ t, ifaces: { a: row().map(String) }, softnet: [] });

/** Chunk i: samples T0 + 10 s·i + 1 s … + 10 s, a keyframe at its first sample. */
function chunk(i: number): CachedChunk & { seq: number } {
  const ts = Array.from({ length: 10 }, (_, j) => T0 + i * 10_000 + (j + 1) * 1000);
  return {
    start: T0 + i * 10_000,
    end: ts.at(-1)!,
    samples: 10,
    codec: CHUNK_CODEC,
    seq: i + 1,
    data: encodeChunk(
      ts.map((t) => makeSample(t, { a: row({ rxPackets: t }) })),
      [kf(ts[0]!)],
    ),
  };
}
const entry = ({ data: _, ...e }: CachedChunk & { seq: number }): ChunkEntry => e;

function owner(over: Partial<OwnerPending> = {}): OwnerPending {
  return { unacked: () => [], open: () => [], latestTopology: () => null, ...over };
}

describe('fleet reads (docs/fleet.md)', () => {
  it('FLEET12: a chunk both cached and still unacknowledged by its owner is read once: its keyframes are not doubled', () => {
    const cache = new ReadCache();
    const c = chunk(0);
    cache.putChunk('h', c);
    const reads = new FleetReads(cache, owner({ unacked: () => [c] }), silentLogger);
    const r = reads.readRange('h', T0, T0 + 20_000);
    expect(r.samples.length).toBe(10);
    expect(r.keyframes).toEqual([kf(T0 + 1000)]);
  });

  it('FLEET10: a capped read decodes no further than the chunk that passes its cap, as the SQLite store reads', () => {
    const cache = new ReadCache();
    const chunks = [0, 1, 2].map(chunk);
    // Chunk 3 cannot be decoded: a read that reached it would say so.
    const broken = { ...chunk(3), data: new Uint8Array([1, 2, 3]) };
    for (const c of [...chunks, broken]) cache.putChunk('h', c);
    const window = () =>
      cache.addWindow('h', {
        start: T0,
        end: T0 + 40_000,
        until: T0 + 40_000,
        entries: [...chunks, broken].map(entry),
      });
    const errors: string[] = [];
    const reads = new FleetReads(cache, owner(), { ...silentLogger, error: (m) => errors.push(m) });
    window();
    const r = reads.readRange('h', T0, T0 + 40_000, { maxSamples: 15 });
    expect(r.samples.map((s) => s.t)).toEqual(Array.from({ length: 15 }, (_, j) => T0 + (j + 1) * 1000));
    expect(r.truncated).toBe(true);
    expect(r.nextStart).toBe(T0 + 15_001);
    expect(errors).toEqual([]);
    // Uncapped, the read reaches it (and skips it, saying so).
    window();
    expect(reads.readRange('h', T0, T0 + 40_000).samples.length).toBe(30);
    expect(errors).toEqual([expect.stringMatching(/skipping unreadable chunk h@/)]);
  });

  it('FLEET13: a chunk of the load window evicted before the read: never a silent short answer, never a nextStart that does not advance', () => {
    const cache = new ReadCache(3);
    const chunks = [0, 1, 2, 3].map(chunk);
    for (const c of chunks) cache.putChunk('h', c);
    cache.addWindow('h', {
      start: T0,
      end: T0 + 40_000,
      until: T0 + 40_000,
      entries: chunks.map(entry),
    });
    // Another read's chunks push the cache over its bound: the least recently used (chunk 0… of
    // h, unpinned) go first.
    cache.putChunk('other', { ...chunk(9) });
    cache.evict();
    expect(cache.size).toBe(3);
    const reads = new FleetReads(cache, owner(), silentLogger);
    const r = reads.readRange('h', T0 + 20_001, T0 + 40_000);
    expect(r.truncated).toBe(false);
    expect(r.samples.length).toBe(20);
    // Chunk 0 and 1 are gone: nothing from T0 can be vouched for, and a nextStart of T0 would
    // have its reader (an export) load and ask again forever: it fails instead.
    expect(() => reads.readRange('h', T0, T0 + 40_000)).toThrow(/left the read cache/);
  });

  it('FLEET13: a load window keeps its chunks and its host through other hosts’ evictions until its read', () => {
    const cache = new ReadCache(2);
    const chunks = [0, 1, 2].map(chunk);
    for (const c of chunks) cache.putChunk('h', c);
    cache.addWindow('h', {
      start: T0,
      end: T0 + 30_000,
      until: T0 + 30_000,
      entries: chunks.map(entry),
      release: cache.pin(
        'h',
        chunks.map((c) => c.start),
      ),
    });
    // Another host's load puts its chunks and evicts: h's are the least recently used.
    for (const i of [5, 6, 7]) cache.putChunk('other', chunk(i));
    cache.evict();
    expect(cache.peekHost('h')).toBeDefined();
    const reads = new FleetReads(cache, owner(), silentLogger);
    const r = reads.readRange('h', T0, T0 + 30_000);
    expect(r.samples.length).toBe(30);
    expect(r.truncated).toBe(false);
    // Read: the lease is over, the next eviction may take them.
    cache.evict();
    expect(cache.size).toBe(2);
  });

  it('FLEET13: two loads of one host keep a window each: a read of either range is whole, never a silent part', () => {
    const cache = new ReadCache();
    const chunks = [0, 1, 2, 3, 4, 5].map(chunk);
    for (const c of chunks) cache.putChunk('h', c);
    const early = chunks.slice(0, 2);
    const late = chunks.slice(4);
    cache.addWindow('h', { start: T0, end: T0 + 20_000, until: T0 + 20_000, entries: early.map(entry) });
    cache.addWindow('h', {
      start: T0 + 40_000,
      end: T0 + 60_000,
      until: T0 + 60_000,
      entries: late.map(entry),
    });
    const reads = new FleetReads(cache, owner(), silentLogger);
    const a = reads.readRange('h', T0, T0 + 20_000);
    expect(a.samples.length).toBe(20);
    expect(a.truncated).toBe(false);
    expect(reads.storedSamples('h', T0, T0 + 20_000)).toBe(20);
    const b = reads.readRange('h', T0 + 40_000, T0 + 60_000);
    expect(b.samples.length).toBe(20);
    expect(b.truncated).toBe(false);
  });

  it('FLEET13: chunks a load pinned stay through eviction; a window capped by the load stops where it does', () => {
    const cache = new ReadCache(2);
    const chunks = [0, 1, 2].map(chunk);
    for (const c of chunks) cache.putChunk('h', c);
    const unpin = cache.pin(
      'h',
      chunks.map((c) => c.start),
    );
    cache.evict();
    expect(cache.size).toBe(3);
    unpin();
    cache.evict(new Set(chunks.slice(1).map((c) => ReadCache.key('h', c.start))));
    expect(cache.hasChunk('h', chunks[0]!.start)).toBe(false);
    expect(cache.size).toBe(2);
    // The load stopped at its cap after chunk 2's end although the range goes on.
    cache.addWindow('h', {
      start: T0 + 10_000,
      end: T0 + 90_000,
      until: chunks[2]!.end,
      entries: chunks.slice(1).map(entry),
    });
    const r = new FleetReads(cache, owner(), silentLogger).readRange('h', T0 + 10_000, T0 + 90_000);
    expect(r.samples.map((s) => s.t)).toEqual(Array.from({ length: 20 }, (_, j) => T0 + 11_000 + j * 1000));
    expect(r.truncated).toBe(true);
    expect(r.nextStart).toBe(chunks[2]!.end + 1);
    expect(r.end).toBe(T0 + 90_000);
  });

  it('FLEET13: a load that could read no chunks rejects (its reader fails loudly, never answers a silent part)', async () => {
    const refuse = async () => {
      throw new Error('stream not found');
    };
    const jsm = { direct: { getMessage: refuse }, streams: { getMessage: refuse } };
    const js = { consumers: { get: refuse } };
    const cache = new ReadCache();
    const loader = new RangeLoader(jsm as never, js as never, fleetNames('t'), cache, {
      chunkMs: 10_000,
      log: silentLogger,
      onLastEnd: () => {},
    });
    await expect(loader.load('h', T0, T0 + 10_000)).rejects.toThrow(/reading chunks of h: stream not found/);
    expect(cache.windowAt('h', T0)).toBeUndefined();
  });

  it('FLEET13: a scan whose pending messages never came (nothing read) is asked again, then rejects 503: no empty window, no answer from whatever the cache holds', async () => {
    const refuse = async () => {
      throw new Error('stream not found');
    };
    const jsm = { direct: { getMessage: refuse }, streams: { getMessage: refuse } };
    // The consumer says five messages are pending, then every fetch ends with none.
    const consumer = {
      info: async () => ({ num_pending: 5 }),
      fetch: async () => ({ async *[Symbol.asyncIterator]() {} }),
      delete: async () => true,
    };
    const js = { consumers: { get: async () => consumer } };
    const cache = new ReadCache();
    cache.putChunk('h', chunk(0));
    const loader = new RangeLoader(jsm as never, js as never, fleetNames('t'), cache, {
      chunkMs: 10_000,
      log: silentLogger,
      onLastEnd: () => {},
      waitMs: 600,
    });
    const err = await loader.load('h', T0, T0 + 10_000).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, message: expect.stringMatching(/reading chunks of h: .*scan/) });
    expect(cache.windowAt('h', T0)).toBeUndefined();
    // A race with a cluster mid-change: scanned again every 250 ms until the wait is over.
    expect(loader.counts.indexed).toBe(0);
    expect(loader.counts.scanned).toBeGreaterThanOrEqual(2);
  });

  it('FLEET13: a host’s hour summaries are kept for SUMMARY_HOURS_KEPT hours at most, the oldest going first', () => {
    const cache = new ReadCache();
    for (let hr = 0; hr < SUMMARY_HOURS_KEPT + 5; hr++) cache.setSummaries('h', 1000 + hr, []);
    const hours = [...cache.host('h').summaries.keys()];
    expect(hours.length).toBe(SUMMARY_HOURS_KEPT);
    expect(Math.min(...hours)).toBe(1005);
  });

  it('FLEET10: one load brings at least what the largest capped reader may answer', () => {
    for (const cap of [
      RECORDING_MAX_SAMPLES,
      DIAGNOSIS_MAX_SAMPLES,
      TIMELINE_RAW_MAX_SAMPLES,
      EXPORT_PAGE_SAMPLES,
    ])
      expect(LOAD_MAX_SAMPLES).toBeGreaterThanOrEqual(cap);
  });

  describe('FLEET14: the hour summaries as the chunks’ index', () => {
    it('keeps only well-formed entries of another replica: a sequence ≥ 1, a sample count in range, start ≤ end', () => {
      const ok = { start: T0, end: T0 + 10_000, samples: 10, worst: 'ok', drops: 0, lossHops: 0, seq: 3 };
      const list = summaryList([
        ok,
        { ...ok, seq: 0 },
        { ...ok, seq: -2 },
        { ...ok, seq: 1.5 },
        { ...ok, samples: -1 },
        { ...ok, samples: ENTRY_SAMPLES_MAX + 1 },
        { ...ok, samples: 2.5 },
        { ...ok, end: T0 - 1 },
        { start: T0, end: T0, samples: 0, worst: 'ok', drops: 0, lossHops: 0 },
      ]);
      expect(list).toEqual([ok, { start: T0, end: T0, samples: 0, worst: 'ok', drops: 0, lossHops: 0 }]);
    });

    /** Summaries of chunks i…j (10 s each, touching), with their sequences unless told. */
    const sums = (is: number[], seq = true): Map<number, IndexedSummary[]> =>
      new Map([
        [
          0,
          is.map((i) => ({
            start: T0 + i * 10_000,
            end: T0 + (i + 1) * 10_000 - 3, // an agent's wall clock: a few ms short of the next start
            samples: 10,
            worst: 'ok' as const,
            drops: 0,
            lossHops: 0,
            ...(seq ? { seq: 100 + i } : {}),
          })),
        ],
      ]);
    const last = (i: number) => ({ seq: 100 + i, end: T0 + (i + 1) * 10_000 - 3 });

    it('vouches for a range its entries cover, clock jitter and all, with each chunk’s sequence', () => {
      const r = fromIndex(sums([0, 1, 2, 3]), T0 + 5_000, T0 + 35_000, T0, last(3));
      expect(r?.entries.map((e) => e.seq)).toEqual([100, 101, 102, 103]);
      expect(r?.complete).toBe(true);
    });

    it('does not when a chunk is missing, the start is not covered, the tail is newer, or sequences are absent', () => {
      expect(fromIndex(sums([0, 1, 3]), T0, T0 + 35_000, T0, last(3))).toBeNull();
      expect(fromIndex(sums([1, 2, 3]), T0 + 5_000, T0 + 35_000, T0, last(3))).toBeNull();
      expect(fromIndex(sums([0, 1, 2]), T0, T0 + 45_000, T0, last(4))).toBeNull();
      expect(fromIndex(sums([0, 1, 2, 3], false), T0, T0 + 35_000, T0, last(3))).toBeNull();
    });

    it('a range starting before the host’s first chunk, or ending after its last, is whole', () => {
      expect(fromIndex(sums([1, 2]), T0, T0 + 60_000, T0 + 10_000, last(2))?.entries.length).toBe(2);
      expect(fromIndex(new Map(), T0 + 90_000, T0 + 99_000, T0, last(3))).toEqual({
        entries: [],
        complete: true,
      });
    });

    it('a hole past what the load’s cap takes does not matter', () => {
      const many = Array.from({ length: 400 }, (_, i) => i);
      const r = fromIndex(sums([...many, 500]), T0, T0 + 6_000_000, T0, last(500));
      expect(r).not.toBeNull();
    });
  });
});
