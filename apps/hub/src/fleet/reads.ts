import type { Logger } from '../log.ts';
import type { ChunkSummary, Recording, TopologyVersion } from '../seams/recording.ts';
import type { OpenChunk } from '../store/pump.ts';
import { assembleRange, collectRange } from '../store/range.ts';
import type { CachedChunk, ReadCache } from './readCache.ts';

/** What the owner of a host holds that the stream may not have yet. */
export interface OwnerPending {
  /** Published, not yet acknowledged. */
  unacked(host: string): readonly CachedChunk[];
  /** Still open in the write pump. */
  open(host: string): OpenChunk[];
  /** The owner's latest topology version, if it holds the host. */
  latestTopology(host: string): TopologyVersion | null;
}

/**
 * The synchronous reads of a fleet replica, over what load() put in the cache and what the owner
 * still holds. A range inside the host's last load window is answered from that window's chunks
 * and stops where the window does (the load's sample cap, or a chunk evicted since): then it is
 * truncated with nextStart, exactly as a capped SQLite read says so, never silently short.
 */
export class FleetReads {
  constructor(
    private readonly cache: ReadCache,
    private readonly owner: OwnerPending,
    private readonly log: Logger,
  ) {}

  readRange(
    host: string,
    start: number,
    end: number,
    ropts: { maxSamples?: number; maxTopologies?: number } = {},
  ): Recording {
    const st = this.cache.peekHost(host);
    const w = this.cache.windowAt(host, start);
    const inWindow = w !== undefined;
    // The last time this answer can vouch for: the window's, or before the first chunk it lacks.
    let until = end;
    const chunks = new Map<number, CachedChunk>();
    if (inWindow) {
      until = Math.min(end, w.until);
      for (const e of w.entries) {
        // A chunk's samples come after its start (the first one's t − elapsedMs): one starting
        // at `until` holds none this answer needs.
        if (e.end < start || e.start >= until) continue;
        const c = this.cache.chunk(host, e.start);
        if (!c) {
          // Evicted before this read (a read with no load before it): nothing here to answer
          // from; a nextStart of start would have its reader load and ask again forever.
          if (e.start <= start)
            throw new Error(`fleet: chunk ${host}@${e.start} left the read cache before its read`);
          until = Math.min(until, e.start - 1);
          break;
        }
        chunks.set(c.start, c);
      }
    } else for (const c of this.cache.chunksOf(host)) chunks.set(c.start, c);
    // The owner's unacknowledged chunks, once each: a chunk both cached and pending is one chunk.
    for (const c of this.owner.unacked(host)) if (!chunks.has(c.start)) chunks.set(c.start, c);

    const maxSamples = ropts.maxSamples ?? Number.POSITIVE_INFINITY;
    const { samples, keyframes } = collectRange({
      start,
      end: until,
      maxSamples,
      chunks: [...chunks.values()]
        .filter((c) => c.end >= start && c.start <= until)
        .sort((a, b) => a.start - b.start),
      open: this.owner.open(host),
      unique: true,
      unreadable: (at, e) => this.log.error(`fleet: skipping unreadable chunk ${host}@${at}: ${e.message}`),
    });
    const versions = [...(st?.topologies.entries() ?? [])].sort((a, b) => a[0] - b[0]);
    const rec = assembleRange({
      host,
      start,
      end: until,
      maxSamples,
      maxTopologies: ropts.maxTopologies ?? Number.POSITIVE_INFINITY,
      samples,
      keyframes,
      atStart: this.topologyAt(host, start),
      inside: (to) =>
        versions
          .filter(([t]) => t > start && t <= to)
          .map(([t, topology]) => ({ t, topology: () => topology })),
      first: () => (versions[0] ? { t: versions[0][0], topology: versions[0][1] } : null),
    });
    // The load's pins are no longer needed once its range has been read.
    w?.release?.();
    // until ≥ start (windowAt's window holds start; a missing chunk at or before start threw
    // above), so a reader paging on from nextStart always advances.
    if (!rec.truncated && until < end) {
      rec.truncated = true;
      rec.nextStart = until + 1;
    }
    rec.end = end;
    return rec;
  }

  topologyAt(host: string, t: number): TopologyVersion | null {
    const latest = this.owner.latestTopology(host);
    if (latest && latest.t <= t) return latest;
    let best: TopologyVersion | null = null;
    for (const [vt, topology] of this.cache.peekHost(host)?.topologies ?? [])
      if (vt <= t && (!best || vt > best.t)) best = { t: vt, topology };
    return best;
  }

  summaries(host: string, start: number, end: number): ChunkSummary[] {
    const out: ChunkSummary[] = [];
    for (const list of this.cache.peekHost(host)?.summaries.values() ?? [])
      for (const s of list) if (s.end >= start && s.start <= end) out.push(s);
    return out.sort((a, b) => a.start - b.start);
  }

  /** From the last load's chunk headers (no data needed), else from the cached chunks. */
  storedSamples(host: string, start: number, end: number): number {
    const w = this.cache.windowAt(host, start);
    let n = 0;
    if (w) {
      for (const e of w.entries) if (e.end >= start && e.start <= end) n += e.samples;
      return n;
    }
    for (const c of this.cache.chunksOf(host)) if (c.end >= start && c.start <= end) n += c.samples;
    return n;
  }
}
