import type { Topology } from '@hopwatch/shared';
import type { ChunkSummary } from '../seams/recording.ts';

/** Chunks kept in the read cache, over all hosts (~40 KB each at 1000 interfaces). */
export const CACHE_MAX_CHUNKS = 4000;

/** One chunk as its stream message's headers describe it: enough to plan a read without its data. */
export interface ChunkEntry {
  start: number;
  end: number;
  samples: number;
  codec: string;
  /** Its sequence in the chunk stream: the data is one direct get away. */
  seq: number;
}

export interface CachedChunk extends Omit<ChunkEntry, 'seq'> {
  data: Uint8Array;
}

/**
 * What the last load() of a host found in the stream: every chunk touching [start, end] up to
 * `until` (the whole range unless the read stopped at its sample cap), data or not. readRange
 * answers from it and says where it stops, instead of answering part of a range as if whole.
 */
export interface LoadWindow {
  start: number;
  end: number;
  /** The last time whose samples were all read: `end`, or the end of the chunk that hit the cap. */
  until: number;
  /** Every chunk found touching [start, end], by start. */
  entries: ChunkEntry[];
  /**
   * Unpins the load's chunks and its host: called by the first readRange of the window (or after
   * WINDOW_LEASE_MS, or when the window is dropped), so no other load evicts them in between.
   */
  release?: () => void;
}

/** Hours of summaries kept per host (a week and a day, what one load reads): older ones go. */
export const SUMMARY_HOURS_KEPT = 24 * 8;

/** Load windows kept per host: concurrent loads of one host each keep theirs. */
export const WINDOWS_MAX = 8;
/** A load's chunks stay pinned this long at most when no read of them follows. */
export const WINDOW_LEASE_MS = 30_000;

export interface HostReadState {
  topologies: Map<number, Topology>;
  /** Stream sequence of the last topology read (reads go on from there). */
  topoSeq: number;
  summaries: Map<number, ChunkSummary[]>;
  firstStart: number | null;
  /** The last loads' windows, oldest first (at most WINDOWS_MAX). */
  windows: LoadWindow[];
}

const key = (host: string, start: number) => `${host}\u0000${start}`;

/**
 * A replica's read cache of other replicas' (and its own) recording: chunk data, least recently
 * used out first, bounded at CACHE_MAX_CHUNKS; per host its topology versions, hour summaries and
 * last load window. Chunks a load pinned are never evicted (the read that follows needs them);
 * a host whose chunks are all gone, and that no load is reading, is forgotten whole.
 */
export class ReadCache {
  private readonly chunks = new Map<string, CachedChunk & { host: string }>();
  private readonly hosts = new Map<string, HostReadState>();
  private readonly pinned = new Map<string, number>();

  constructor(private readonly maxChunks = CACHE_MAX_CHUNKS) {}

  host(host: string): HostReadState {
    let h = this.hosts.get(host);
    if (!h) {
      h = { topologies: new Map(), topoSeq: 0, summaries: new Map(), firstStart: null, windows: [] };
      this.hosts.set(host, h);
    }
    return h;
  }

  peekHost(host: string): HostReadState | undefined {
    return this.hosts.get(host);
  }

  /** The chunk, marked as just used; undefined when not cached (never read, or evicted). */
  chunk(host: string, start: number): CachedChunk | undefined {
    const k = key(host, start);
    const c = this.chunks.get(k);
    if (c) {
      this.chunks.delete(k);
      this.chunks.set(k, c);
    }
    return c;
  }

  /** An hour's summaries of a host; past SUMMARY_HOURS_KEPT hours, the oldest hour goes. */
  setSummaries(host: string, hour: number, list: ChunkSummary[]): void {
    const m = this.host(host).summaries;
    m.set(hour, list);
    while (m.size > SUMMARY_HOURS_KEPT) m.delete(Math.min(...m.keys()));
  }

  /**
   * Keeps a load's window; `release` (its pins) runs once: at the first read, after
   * WINDOW_LEASE_MS, or when the window is dropped for a newer one.
   */
  addWindow(host: string, w: LoadWindow): void {
    const release = w.release;
    if (release) {
      let done = false;
      const timer = setTimeout(() => w.release?.(), WINDOW_LEASE_MS);
      timer.unref?.();
      w.release = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        release();
      };
    }
    const list = this.host(host).windows;
    list.push(w);
    while (list.length > WINDOWS_MAX) list.shift()?.release?.();
  }

  /** The newest window that vouches for `start` (start within [its start, its until]). */
  windowAt(host: string, start: number): LoadWindow | undefined {
    const list = this.hosts.get(host)?.windows ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const w = list[i]!;
      if (start >= w.start && start <= w.until) return w;
    }
    return undefined;
  }

  hasChunk(host: string, start: number): boolean {
    return this.chunks.has(key(host, start));
  }

  putChunk(host: string, c: CachedChunk): void {
    const k = key(host, c.start);
    this.chunks.delete(k);
    this.chunks.set(k, { ...c, host });
  }

  /** Every cached chunk of a host (reads with no load window: the owner's own recent chunks). */
  chunksOf(host: string): CachedChunk[] {
    const out: CachedChunk[] = [];
    for (const c of this.chunks.values()) if (c.host === host) out.push(c);
    return out;
  }

  get size(): number {
    return this.chunks.size;
  }

  /** Keeps these chunks (and the host's state) through evict() until the returned unpin is called. */
  pin(host: string, starts: Iterable<number>): () => void {
    const keys = [...starts].map((s) => key(host, s));
    for (const k of keys) this.pinned.set(k, (this.pinned.get(k) ?? 0) + 1);
    this.pinned.set(`\u0000${host}`, (this.pinned.get(`\u0000${host}`) ?? 0) + 1);
    return () => {
      for (const k of [...keys, `\u0000${host}`]) {
        const n = (this.pinned.get(k) ?? 1) - 1;
        if (n <= 0) this.pinned.delete(k);
        else this.pinned.set(k, n);
      }
    };
  }

  /**
   * Down to the bound, least recently used first, pinned chunks kept (a read may go over the
   * bound for as long as it runs: answering it whole is the point). `keep`: chunks of the load
   * that just finished, whose readRange comes next.
   */
  evict(keep: ReadonlySet<string> = new Set()): void {
    if (this.chunks.size <= this.maxChunks) return;
    const touched = new Set<string>();
    for (const [k, c] of this.chunks) {
      if (this.chunks.size <= this.maxChunks) break;
      if (this.pinned.has(k) || keep.has(k)) continue;
      this.chunks.delete(k);
      touched.add(c.host);
    }
    for (const host of touched) {
      if (this.pinned.has(`\u0000${host}`)) continue;
      if (!this.chunksOf(host).length) this.hosts.delete(host);
    }
  }

  static key = key;
}
