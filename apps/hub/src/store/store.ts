/**
 * The recording store: every sample of every host, always on, in one SQLite file.
 *
 * API (stable; issue 6's named recordings, export/import and `hopwatch replay` build on it):
 *
 *   const store = openStore('/path/hopwatch.db', { retentionMs, retentionBytes, chunkMs });
 *   store.append(host, sample, json?)     → false when sample.t ≤ lastT(host) (out of order, ignored)
 *   store.appendKeyframe(host, keyframe)
 *   store.appendTopology(host, t, topo)   → false when identical to the host's latest version
 *   store.readRange(host, start, end)     → { topologies: [{t, topology}], samples, keyframes, ... }
 *                                           topologies = the version in force at `start` + every
 *                                           change in (start, end]; samples with start ≤ t ≤ end
 *   store.topologyAt(host, t), store.summaries(host, start, end)   (timeline heat strip)
 *   store.hosts(), store.lastT(host)      lastT counts samples not yet on disk too
 *   store.flush()                         write every open chunk now (sync)
 *   store.close()                         flush, then close the file
 *
 * Writes: samples collect in memory per host and are written as one compressed chunk (chunk.ts)
 * every `chunkMs` (default 10 s), in small transactions on a timer with a time budget per tick so
 * that 200 hosts closing chunks in the same second never stall the event loop. WAL with
 * synchronous=NORMAL: a committed chunk survives `kill -9` of the process (not a power cut).
 * What a `kill -9` loses is the in-memory tail, at most chunkMs + one pump tick per host; agents
 * re-send it, because the hub's welcome carries lastT() of what is on disk and agents backfill
 * everything newer (see test/killRestart.test.ts).
 *
 * Retention runs every minute: unmarked chunks whose end is older than retentionMs go, then the
 * oldest unmarked chunks until the stored bytes are under retentionBytes; when marked chunks
 * alone are over it, the oldest marks go too (each logged), so marks cannot fill the disk. Every
 * deletion is logged with what and why. The file does not shrink (SQLite reuses the freed
 * pages), so its size stays near the high-water mark.
 *
 * Readers: `openStore(path, { readonly: true })` can read a file a running hub is writing (WAL).
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Keyframe, mergeSamples, type Sample, type Topology } from '@hopwatch/shared';
import Database from 'better-sqlite3';
import { type Logger, silentLogger } from '../log.ts';
import { type LossSummary, summarize } from '../state/summary.ts';
import { CHUNK_CODEC, compressText, decodeChunk, decompressText, encodeChunkTexts } from './chunk.ts';
import { MARK_HOLD_SQL } from './marksSchema.ts';
import { migrate } from './schema.ts';

export const DEFAULT_RETENTION_MS = 24 * 3600_000;
export const DEFAULT_RETENTION_BYTES = 2 * 1024 ** 3;
/** Long enough to compress well (ids once per chunk), short enough that a crash loses little. */
export const DEFAULT_CHUNK_MS = 10_000;
/** A host that stops sending still gets its last chunk written this long after the chunk opened. */
const IDLE_CLOSE_GRACE_MS = 2_000;
const PUMP_INTERVAL_MS = 20;
/** Per pump tick; a 1000-interface chunk with its summary takes ~15 ms, so usually one a tick. */
const PUMP_BUDGET_MS = 8;
const PUMP_BACKLOG_CHUNKS = 50;
const PUMP_BACKLOG_BUDGET_MS = 40;
const RETENTION_INTERVAL_MS = 60_000;
/** Keyframes kept per host while no chunk is open (a reconnecting agent sends one each time). */
const MAX_EARLY_KEYFRAMES = 4;
/** Size retention looks at this many of the oldest chunks per statement, then re-checks. */
const RETENTION_BATCH = 1000;

const kib = (b: number) => Math.round(b / 1024);
const mib = (b: number) => (b >= 1024 ** 2 ? `${Math.round(b / 1024 ** 2)} MiB` : `${b} bytes`);
const hours = (ms: number) => Math.round((ms / 3600_000) * 10) / 10;

/** Change detection by digest: keeping each host's topology JSON cost ~0.5 MB a host. */
function digestOf(json: string): string {
  return createHash('sha1').update(json).digest('base64');
}

export interface StoreOptions {
  retentionMs?: number;
  retentionBytes?: number;
  chunkMs?: number;
  readonly?: boolean;
  /** Write chunks from a timer (default). Off: only flush() writes (tests, one-shot tools). */
  autoPump?: boolean;
  log?: Logger;
  now?: () => number;
}

export interface TopologyVersion {
  t: number;
  topology: Topology;
}

export interface Recording {
  host: string;
  start: number;
  end: number;
  topologies: TopologyVersion[];
  samples: Sample[];
  keyframes: Keyframe[];
  /** True when maxSamples cut the range short; read on from nextStart. */
  truncated: boolean;
  nextStart: number | null;
}

export interface ChunkSummary extends LossSummary {
  start: number;
  end: number;
  samples: number;
}

export interface StoreStats {
  path: string;
  bytes: number;
  chunks: number;
  chunksWritten: number;
  samplesPending: number;
  retentionDeletedChunks: number;
  /** Named recordings removed because marked data alone was over the byte budget. */
  retentionDeletedMarks: number;
  corruptChunks: number;
}

export interface Store {
  readonly path: string;
  /** The open file, for tables beside the recording (store/marks.ts) and bulk writers (replay import). */
  readonly db: Database.Database;
  /** `json`: JSON.stringify(sample), when the caller made it already. */
  append(host: string, sample: Sample, json?: string): boolean;
  appendKeyframe(host: string, keyframe: Keyframe): void;
  appendTopology(host: string, t: number, topology: Topology): boolean;
  /** maxSamples / maxTopologies: at most that many in the answer (truncated, read on from nextStart). */
  readRange(
    host: string,
    start: number,
    end: number,
    opts?: { maxSamples?: number; maxTopologies?: number },
  ): Recording;
  topologyAt(host: string, t: number): TopologyVersion | null;
  summaries(host: string, start: number, end: number): ChunkSummary[];
  hosts(): string[];
  lastT(host: string): number | null;
  flush(): void;
  enforceRetention(): { deletedChunks: number; deletedBytes: number };
  stats(): StoreStats;
  /** Re-read hosts, lastT, sizes and latest topologies after a bulk writer wrote through `db`. */
  rescan(): void;
  close(): void;
}

/**
 * Samples wait as their JSON text, not as objects: one string per sample is ~half the memory of
 * the parsed object and costs the garbage collector nothing to trace, and a 10 s chunk lives
 * long enough to be promoted (bench:hub: RSS and GC time both went down).
 */
interface OpenChunk {
  host: string;
  texts: string[];
  /** Start of the first sample's interval. */
  start: number;
  /** t of the last sample. */
  end: number;
  keyframes: Keyframe[];
  /** Hub clock when the first sample arrived: closes chunks of hosts that went quiet. */
  openedAt: number;
}

interface ChunkRow {
  start_t: number;
  end_t: number;
  samples: number;
  codec: string;
  summary: string | null;
  data: Buffer;
}

export function openStore(path: string, opts: StoreOptions = {}): Store {
  const retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  const retentionBytes = opts.retentionBytes ?? DEFAULT_RETENTION_BYTES;
  const chunkMs = opts.chunkMs ?? DEFAULT_CHUNK_MS;
  const log = opts.log ?? silentLogger;
  const now = opts.now ?? Date.now;
  const readonly = opts.readonly ?? false;

  // A recording is the network's insides: private to the hub's user, like its token. A new
  // directory is 0700 and a new file 0600, set before WAL mode creates -wal and -shm, which
  // SQLite gives the database file's permissions. An existing file keeps the ones it was given.
  const fresh = !readonly && path !== ':memory:' && !existsSync(path);
  if (!readonly && path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new Database(path, { readonly, fileMustExist: readonly });
  if (fresh) chmodSync(path, 0o600);
  if (!readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    migrate(db);
  }
  db.pragma('busy_timeout = 2000');

  const q = {
    insertChunk: db.prepare(
      `INSERT INTO chunks (host, start_t, end_t, samples, codec, bytes, summary, data)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    chunksIn: db.prepare(
      `SELECT start_t, end_t, samples, codec, summary, data FROM chunks
       WHERE host = ? AND end_t >= ? AND start_t <= ? ORDER BY start_t`,
    ),
    summariesIn: db.prepare(
      `SELECT start_t, end_t, samples, summary FROM chunks
       WHERE host = ? AND end_t >= ? AND start_t <= ? ORDER BY start_t`,
    ),
    insertTopology: db.prepare(
      `INSERT OR REPLACE INTO topologies (host, t, bytes, data) VALUES (?, ?, ?, ?)`,
    ),
    topologyAt: db.prepare(
      `SELECT t, data FROM topologies WHERE host = ? AND t <= ? ORDER BY t DESC LIMIT 1`,
    ),
    topologiesIn: db.prepare(`SELECT t, data FROM topologies WHERE host = ? AND t > ? AND t <= ? ORDER BY t`),
    firstTopology: db.prepare(`SELECT t, data FROM topologies WHERE host = ? ORDER BY t LIMIT 1`),
  };

  const lastTs = new Map<string, number>();
  for (const r of db.prepare(`SELECT host, max(end_t) AS t FROM chunks GROUP BY host`).all() as {
    host: string;
    t: number;
  }[])
    lastTs.set(r.host, r.t);
  const knownHosts = new Set<string>(lastTs.keys());
  for (const r of db.prepare(`SELECT DISTINCT host FROM topologies`).all() as { host: string }[])
    knownHosts.add(r.host);
  let totalBytes = sumBytes();
  let chunkCount = (db.prepare(`SELECT count(*) AS n FROM chunks`).get() as { n: number }).n;
  let chunksWritten = 0;
  let retentionDeletedChunks = 0;
  let corruptChunks = 0;
  let marksDeleted = 0;

  const open = new Map<string, OpenChunk>();
  /** Full chunks waiting for the pump, oldest first. */
  const closing: OpenChunk[] = [];
  /** Keyframes that arrived while the host had no open chunk, per host. */
  const earlyKeyframes = new Map<string, Keyframe[]>();
  /** Latest topology per host, for chunk summaries and change detection. */
  const latestTopology = new Map<string, { t: number; topology: Topology; digest: string }>();

  function sumBytes(): number {
    const c = db.prepare(`SELECT coalesce(sum(bytes), 0) AS b FROM chunks`).get() as { b: number };
    const t = db.prepare(`SELECT coalesce(sum(bytes), 0) AS b FROM topologies`).get() as { b: number };
    return c.b + t.b;
  }

  function decodeTopology(data: Buffer): Topology {
    return JSON.parse(decompressText(data)) as Topology;
  }

  function latestTopologyOf(host: string) {
    const cached = latestTopology.get(host);
    if (cached) return cached;
    const row = q.topologyAt.get(host, Number.MAX_SAFE_INTEGER) as { t: number; data: Buffer } | undefined;
    if (!row) return null;
    const topology = decodeTopology(row.data);
    const entry = { t: row.t, topology, digest: digestOf(JSON.stringify(topology)) };
    latestTopology.set(host, entry);
    return entry;
  }

  const samplesOf = (chunk: OpenChunk) => chunk.texts.map((text) => JSON.parse(text) as Sample);

  function writeChunk(chunk: OpenChunk): void {
    if (chunk.texts.length === 0) return;
    // The chunk's whole window, merged while encoding: one parse per sample, few live objects.
    let window: Sample | null = null;
    const data = encodeChunkTexts(chunk.texts, chunk.keyframes, (s) => {
      window = window ? mergeSamples([window, s]) : s;
    });
    const topo = latestTopologyOf(chunk.host);
    let summary: string | null = null;
    if (topo && window) {
      try {
        summary = JSON.stringify(summarize(topo.topology, [window]));
      } catch (e) {
        log.warn(`store: could not summarise a chunk of ${chunk.host}: ${(e as Error).message}`);
      }
    }
    q.insertChunk.run(
      chunk.host,
      chunk.start,
      chunk.end,
      chunk.texts.length,
      CHUNK_CODEC,
      data.length,
      summary,
      data,
    );
    totalBytes += data.length;
    chunkCount += 1;
    chunksWritten += 1;
  }

  /**
   * Writes queued chunks until the budget is spent, checking it after every chunk (one chunk of
   * 1000 interfaces is ~15 ms with its summary); the rest wait for the next tick. One transaction
   * per tick: a commit per chunk would cost a WAL sync each, and the tail a crash can take stays
   * one tick long.
   */
  const writeSome = db.transaction((budgetMs: number) => {
    const t0 = performance.now();
    while (closing.length > 0 && performance.now() - t0 < budgetMs) {
      const chunk = closing.shift()!;
      try {
        writeChunk(chunk);
      } catch (e) {
        log.error(`store: writing a chunk of ${chunk.host} failed, dropped: ${(e as Error).message}`);
      }
    }
  });

  function pump(budgetMs: number): void {
    const t = now();
    for (const [host, chunk] of open) {
      if (t - chunk.openedAt >= chunkMs + IDLE_CLOSE_GRACE_MS) {
        open.delete(host);
        closing.push(chunk);
      }
    }
    if (closing.length === 0) return;
    try {
      writeSome(budgetMs);
    } catch (e) {
      log.error(`store: writing chunks failed: ${(e as Error).message}`);
    }
  }

  let retentionDue = now() + RETENTION_INTERVAL_MS;
  const timer =
    readonly || opts.autoPump === false
      ? null
      : setInterval(() => {
          // Falling behind (a burst of hosts closing chunks together): spend more per tick
          // rather than let the queue, and memory, grow.
          pump(closing.length > PUMP_BACKLOG_CHUNKS ? PUMP_BACKLOG_BUDGET_MS : PUMP_BUDGET_MS);
          if (now() >= retentionDue) {
            retentionDue = now() + RETENTION_INTERVAL_MS;
            store.enforceRetention();
          }
        }, PUMP_INTERVAL_MS);
  timer?.unref();

  function pendingFor(host: string): OpenChunk[] {
    const list = closing.filter((c) => c.host === host);
    const o = open.get(host);
    if (o) list.push(o);
    return list;
  }

  const store: Store = {
    path,
    db,

    append(host, sample, json = JSON.stringify(sample)) {
      if (!db.open) return false;
      const last = lastTs.get(host);
      if (last !== undefined && sample.t <= last) return false;
      lastTs.set(host, sample.t);
      knownHosts.add(host);
      let chunk = open.get(host);
      if (chunk && sample.t - chunk.start > chunkMs) {
        closing.push(chunk);
        chunk = undefined;
      }
      if (!chunk) {
        const keyframes = earlyKeyframes.get(host) ?? [];
        chunk = {
          host,
          texts: [],
          start: sample.t - sample.elapsedMs,
          end: sample.t,
          keyframes,
          openedAt: now(),
        };
        earlyKeyframes.delete(host);
        open.set(host, chunk);
      }
      chunk.texts.push(json);
      chunk.end = sample.t;
      return true;
    },

    appendKeyframe(host, keyframe) {
      // A keyframe rides with the samples of its chunk; before the first sample (an agent sends
      // one right after connecting) it waits for the chunk to open.
      const chunk = open.get(host);
      if (chunk) chunk.keyframes.push(keyframe);
      else {
        const waiting = earlyKeyframes.get(host) ?? [];
        waiting.push(keyframe);
        earlyKeyframes.set(host, waiting.slice(-MAX_EARLY_KEYFRAMES));
      }
    },

    appendTopology(host, t, topology) {
      const json = JSON.stringify(topology);
      const digest = digestOf(json);
      const prev = latestTopologyOf(host);
      if (prev && prev.digest === digest) return false;
      const data = compressText(json);
      q.insertTopology.run(host, t, data.length, data);
      totalBytes += data.length;
      knownHosts.add(host);
      if (!prev || t >= prev.t) latestTopology.set(host, { t, topology, digest });
      return true;
    },

    readRange(host, start, end, ropts = {}) {
      const maxSamples = ropts.maxSamples ?? Number.POSITIVE_INFINITY;
      const maxTopologies = ropts.maxTopologies ?? Number.POSITIVE_INFINITY;
      const samples: Sample[] = [];
      const keyframes: Keyframe[] = [];
      const take = (ss: readonly Sample[], ks: readonly Keyframe[]) => {
        for (const s of ss) if (s.t >= start && s.t <= end) samples.push(s);
        for (const k of ks) if (k.t >= start && k.t <= end) keyframes.push(k);
      };
      // Row by row (iterate, not all): a range of a year must not load a year of blobs to
      // answer with its first hour; rows after the cap are never read.
      for (const row of q.chunksIn.iterate(host, start, end) as IterableIterator<ChunkRow>) {
        try {
          const c = decodeChunk(row.codec, row.data);
          take(c.samples, c.keyframes);
        } catch (e) {
          corruptChunks += 1;
          log.error(`store: skipping unreadable chunk ${host}@${row.start_t}: ${(e as Error).message}`);
        }
        if (samples.length > maxSamples) break;
      }
      for (const c of pendingFor(host)) take(samplesOf(c), c.keyframes);
      samples.sort((a, b) => a.t - b.t);
      let truncated = false;
      let nextStart: number | null = null;
      if (samples.length > maxSamples) {
        truncated = true;
        samples.length = maxSamples;
        nextStart = samples.at(-1)!.t + 1;
      }
      const topoEnd = nextStart !== null ? nextStart - 1 : end;
      const topologies: TopologyVersion[] = [];
      const atStart = store.topologyAt(host, start);
      if (atStart) topologies.push(atStart);
      for (const r of q.topologiesIn.iterate(host, start, topoEnd) as IterableIterator<{
        t: number;
        data: Buffer;
      }>) {
        if (topologies.length >= maxTopologies) {
          // A host whose topology churns (namespaces made and removed every second) would
          // otherwise answer with thousands of full topologies: cut the range before this one.
          truncated = true;
          nextStart = r.t;
          while (samples.length > 0 && samples.at(-1)!.t >= r.t) samples.pop();
          break;
        }
        topologies.push({ t: r.t, topology: decodeTopology(r.data) });
      }
      if (topologies.length === 0) {
        // Nothing at or before start and nothing inside: the host's first version (recorded
        // after the range) still lets a reader draw the map.
        const r = q.firstTopology.get(host) as { t: number; data: Buffer } | undefined;
        if (r) topologies.push({ t: r.t, topology: decodeTopology(r.data) });
      }
      const kept = nextStart === null ? keyframes : keyframes.filter((k) => k.t < nextStart!);
      return { host, start, end, topologies, samples, keyframes: kept, truncated, nextStart };
    },

    topologyAt(host, t) {
      const latest = latestTopology.get(host);
      if (latest && latest.t <= t) return { t: latest.t, topology: latest.topology };
      const r = q.topologyAt.get(host, t) as { t: number; data: Buffer } | undefined;
      return r ? { t: r.t, topology: decodeTopology(r.data) } : null;
    },

    summaries(host, start, end) {
      const out: ChunkSummary[] = [];
      for (const r of q.summariesIn.all(host, start, end) as Omit<ChunkRow, 'codec' | 'data'>[]) {
        if (!r.summary) continue;
        out.push({
          start: r.start_t,
          end: r.end_t,
          samples: r.samples,
          ...(JSON.parse(r.summary) as LossSummary),
        });
      }
      return out;
    },

    hosts() {
      return [...knownHosts].sort();
    },

    lastT(host) {
      return lastTs.get(host) ?? null;
    },

    flush() {
      if (readonly) return;
      for (const chunk of open.values()) closing.push(chunk);
      open.clear();
      pump(Number.POSITIVE_INFINITY);
    },

    enforceRetention() {
      if (readonly) return { deletedChunks: 0, deletedBytes: 0 };
      let deletedChunks = 0;
      let deletedBytes = 0;
      const drop = db.transaction((where: string, ...args: number[]) => {
        const r = db
          .prepare(
            `SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM chunks WHERE (${where}) AND NOT ${MARK_HOLD_SQL}`,
          )
          .get(...args) as { n: number; b: number };
        db.prepare(`DELETE FROM chunks WHERE (${where}) AND NOT ${MARK_HOLD_SQL}`).run(...args);
        deletedChunks += r.n;
        deletedBytes += r.b;
        return r;
      });
      const aged = drop('end_t < ?', now() - retentionMs);
      if (aged.n > 0)
        log.info(
          `store: retention removed ${aged.n} chunk(s), ${kib(aged.b)} KiB, older than ${hours(retentionMs)} h`,
        );
      // Size: the oldest unmarked chunks first; when marked recordings alone are over the budget,
      // the oldest mark goes (saying so) and its chunks become ordinary ones. Marks count against
      // the budget: one spanning all time must not keep the disk filling.
      let budget = { n: 0, b: 0, upTo: 0 };
      while (totalBytes - deletedBytes > retentionBytes) {
        const excess = totalBytes - deletedBytes - retentionBytes;
        const oldest = db
          .prepare(`SELECT end_t, bytes FROM chunks WHERE NOT ${MARK_HOLD_SQL} ORDER BY end_t LIMIT ?`)
          .all(RETENTION_BATCH) as { end_t: number; bytes: number }[];
        let acc = 0;
        let cut: number | null = null;
        for (const r of oldest) {
          acc += r.bytes;
          cut = r.end_t;
          if (acc >= excess) break;
        }
        const r = cut === null ? { n: 0, b: 0 } : drop('end_t <= ?', cut);
        if (r.n > 0) {
          budget = { n: budget.n + r.n, b: budget.b + r.b, upTo: cut! };
          continue;
        }
        const mark = db
          .prepare(`SELECT id, name, start_t, end_t FROM marks ORDER BY start_t, created_t LIMIT 1`)
          .get() as { id: string; name: string; start_t: number; end_t: number } | undefined;
        if (!mark) break;
        db.prepare(`DELETE FROM marks WHERE id = ?`).run(mark.id);
        marksDeleted += 1;
        log.warn(
          `store: over the ${mib(retentionBytes)} recording budget with marked recordings alone: ` +
            `removed the oldest named recording ${mark.id} "${mark.name}" ` +
            `(${new Date(mark.start_t).toISOString()} → ${new Date(mark.end_t).toISOString()}); ` +
            'its samples now expire like any others (raise --retention-mb to keep more)',
        );
      }
      if (budget.n > 0)
        log.info(
          `store: retention removed ${budget.n} chunk(s), ${kib(budget.b)} KiB, up to ` +
            `${new Date(budget.upTo).toISOString()}, to stay under ${mib(retentionBytes)} (oldest first)`,
        );
      if (deletedChunks > 0) {
        pruneTopologies();
        totalBytes = sumBytes();
        chunkCount -= deletedChunks;
        retentionDeletedChunks += deletedChunks;
      }
      return { deletedChunks, deletedBytes };
    },

    stats() {
      let samplesPending = 0;
      for (const c of open.values()) samplesPending += c.texts.length;
      for (const c of closing) samplesPending += c.texts.length;
      return {
        path,
        bytes: totalBytes,
        chunks: chunkCount,
        chunksWritten,
        samplesPending,
        retentionDeletedChunks,
        retentionDeletedMarks: marksDeleted,
        corruptChunks,
      };
    },

    rescan() {
      const ends = db.prepare(`SELECT host, max(end_t) AS t FROM chunks GROUP BY host`).all() as {
        host: string;
        t: number;
      }[];
      for (const r of ends) {
        lastTs.set(r.host, Math.max(lastTs.get(r.host) ?? r.t, r.t));
        knownHosts.add(r.host);
      }
      for (const r of db.prepare(`SELECT DISTINCT host FROM topologies`).all() as { host: string }[])
        knownHosts.add(r.host);
      latestTopology.clear();
      totalBytes = sumBytes();
      chunkCount = (db.prepare(`SELECT count(*) AS n FROM chunks`).get() as { n: number }).n;
    },

    close() {
      if (timer) clearInterval(timer);
      if (db.open) {
        store.flush();
        db.close();
      }
    },
  };

  /**
   * Topology versions older than a host's oldest remaining chunk are unreachable, except the one
   * in force at that chunk's start. A host with no chunks left keeps only its latest version.
   */
  function pruneTopologies(): void {
    const hostsWithTopo = db.prepare(`SELECT DISTINCT host FROM topologies`).all() as { host: string }[];
    for (const { host } of hostsWithTopo) {
      const oldest = db.prepare(`SELECT min(start_t) AS s FROM chunks WHERE host = ?`).get(host) as {
        s: number | null;
      };
      const keep = q.topologyAt.get(host, oldest.s ?? Number.MAX_SAFE_INTEGER) as { t: number } | undefined;
      if (keep) db.prepare(`DELETE FROM topologies WHERE host = ? AND t < ?`).run(host, keep.t);
    }
  }

  if (!readonly) store.enforceRetention();
  return store;
}
