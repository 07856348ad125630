/**
 * The embedded recording (the RecordingStore seam, seams/recording.ts): every sample of every
 * host, always on, in one SQLite file. This file opens the file and puts the parts together;
 * each part has one job:
 *
 *   sql.ts        every statement, prepared once (the schema is schema.ts)
 *   pump.ts       the write path: open chunks in memory, written on a timer under a time budget
 *   chunkRow.ts   how a chunk row is made (encoding + loss summary), live and imported alike
 *   bulk.ts       many chunks at once, undoable (replay import)
 *   retention.ts  age and byte budget, marks counted against it
 *   reads.ts      ranges, topology versions, summaries, the latest-topology cache
 *
 * API (stable; issue 6's named recordings, export/import and `hopwatch replay` build on it):
 *
 *   const store = openStore('/path/hopwatch.db', { retentionMs, retentionBytes, chunkMs });
 *   store.append(host, sample)            → false when sample.t ≤ lastT(host) (out of order, ignored)
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
 * Writes: WAL with synchronous=NORMAL: a committed chunk survives `kill -9` of the process (not a
 * power cut). What a `kill -9` loses is the in-memory tail, at most chunkMs + one pump tick per
 * host; agents re-send it, because the hub's welcome carries lastT() of what is on disk and
 * agents backfill everything newer (see test/killRestart.test.ts).
 *
 * Retention runs every minute (retention.ts). The file does not shrink (SQLite reuses the freed
 * pages), so its size stays near the high-water mark.
 *
 * Readers: `openStore(path, { readonly: true })` can read a file a running hub is writing (WAL).
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Topology } from '@hopwatch/shared';
import Database from 'better-sqlite3';
import { type Logger, silentLogger } from '../log.ts';
import type { RecordingStore } from '../seams/recording.ts';
import { BulkWriter } from './bulk.ts';
import { compressText } from './chunk.ts';
import { openMarks } from './marks.ts';
import { PUMP_INTERVAL_MS, WritePump } from './pump.ts';
import { digestOf, RecordingReader } from './reads.ts';
import { enforceRetention, RETENTION_INTERVAL_MS } from './retention.ts';
import { migrate } from './schema.ts';
import { RecordingSql } from './sql.ts';

export type { ChunkSummary, Recording, StoreStats, TopologyVersion } from '../seams/recording.ts';

export const DEFAULT_RETENTION_MS = 24 * 3600_000;
export const DEFAULT_RETENTION_BYTES = 2 * 1024 ** 3;
/** Long enough to compress well (ids once per chunk), short enough that a crash loses little. */
export const DEFAULT_CHUNK_MS = 10_000;

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

/** The SQLite recording: the seam, plus what only a local file has. */
export interface Store extends RecordingStore {
  /** The open file, for tables beside the recording (store/marks.ts). */
  readonly db: Database.Database;
  /** Many chunks at once through the live write path, undoable (replay import). */
  bulk(): BulkWriter;
  /** Re-read hosts, lastT, sizes and latest topologies after a bulk writer wrote. */
  rescan(): void;
}

/** The embedded recording, which alone can take a bulk import (replay import, `hopwatch replay`). */
export function isLocalStore(r: RecordingStore): r is Store {
  return 'db' in r && 'bulk' in r;
}

/** The file, private to the hub's user, in WAL mode, migrated. */
function openFile(path: string, readonly: boolean): Database.Database {
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
  return db;
}

export function openStore(path: string, opts: StoreOptions = {}): Store {
  const retentionMs = opts.retentionMs ?? DEFAULT_RETENTION_MS;
  const retentionBytes = opts.retentionBytes ?? DEFAULT_RETENTION_BYTES;
  const log = opts.log ?? silentLogger;
  const now = opts.now ?? Date.now;
  const readonly = opts.readonly ?? false;
  const db = openFile(path, readonly);
  const sql = new RecordingSql(db);

  const lastTs = new Map<string, number>();
  const knownHosts = new Set<string>();
  let totalBytes = 0;
  let chunkCount = 0;
  let chunksWritten = 0;
  let retentionDeletedChunks = 0;
  let marksDeleted = 0;

  // One transaction per pump tick: a commit per chunk would cost a WAL sync each, and the tail
  // a crash can take stays one tick long.
  const inTransaction = db.transaction((fn: () => void) => fn());
  const pump: WritePump = new WritePump(
    { batch: (fn) => inTransaction(fn), write: (row) => sql.insertChunk(row) },
    {
      chunkMs: opts.chunkMs ?? DEFAULT_CHUNK_MS,
      log,
      now,
      topologyOf: (host): Topology | null => reader.latestTopologyOf(host)?.topology ?? null,
      onWritten(bytes) {
        totalBytes += bytes;
        chunkCount += 1;
        chunksWritten += 1;
      },
    },
  );
  const reader: RecordingReader = new RecordingReader(sql, (host) => pump.pendingFor(host), log);

  /** Hosts, lastT and sizes from the file (at open, and after a bulk write). */
  function scan(): void {
    for (const r of sql.lastEnds()) {
      lastTs.set(r.host, Math.max(lastTs.get(r.host) ?? r.t, r.t));
      knownHosts.add(r.host);
    }
    for (const host of sql.topologyHosts()) knownHosts.add(host);
    totalBytes = sql.totalBytes();
    chunkCount = sql.chunkCount();
  }
  scan();

  let retentionDue = now() + RETENTION_INTERVAL_MS;
  const timer =
    readonly || opts.autoPump === false
      ? null
      : setInterval(() => {
          pump.tick();
          if (now() >= retentionDue) {
            retentionDue = now() + RETENTION_INTERVAL_MS;
            store.enforceRetention();
          }
        }, PUMP_INTERVAL_MS);
  timer?.unref();

  const store: Store = {
    path,
    db,

    append(host, sample, rows, rest) {
      if (!db.open) return false;
      const last = lastTs.get(host);
      if (last !== undefined && sample.t <= last) return false;
      lastTs.set(host, sample.t);
      knownHosts.add(host);
      pump.add(host, sample, rows, rest);
      return true;
    },

    appendKeyframe(host, keyframe) {
      pump.addKeyframe(host, keyframe);
    },

    appendTopology(host, t, topology) {
      const json = JSON.stringify(topology);
      const digest = digestOf(json);
      const prev = reader.latestTopologyOf(host);
      if (prev && prev.digest === digest) return false;
      const data = compressText(json);
      sql.insertTopology(host, t, data);
      totalBytes += data.length;
      knownHosts.add(host);
      if (!prev || t >= prev.t) reader.setLatest(host, { t, topology, digest });
      return true;
    },

    readRange: (host, start, end, ropts) => reader.readRange(host, start, end, ropts),
    topologyAt: (host, t) => reader.topologyAt(host, t),
    summaries: (host, start, end) => reader.summaries(host, start, end),
    storedSamples: (host, start, end) => sql.samplesIn(host, start, end),
    firstStart: (host) => sql.firstStart(host),

    hosts() {
      return [...knownHosts].sort();
    },

    lastT(host) {
      return lastTs.get(host) ?? null;
    },

    marks() {
      return openMarks(store);
    },

    flush() {
      if (!readonly) pump.flush();
    },

    onChunkJudged(listener) {
      pump.onJudged = listener;
    },

    enforceRetention() {
      if (readonly) return { deletedChunks: 0, deletedBytes: 0 };
      const r = enforceRetention(db, sql, totalBytes, { retentionMs, retentionBytes, log, now });
      marksDeleted += r.deletedMarks;
      if (r.deletedChunks > 0) {
        totalBytes = sql.totalBytes();
        chunkCount -= r.deletedChunks;
        retentionDeletedChunks += r.deletedChunks;
      }
      return { deletedChunks: r.deletedChunks, deletedBytes: r.deletedBytes };
    },

    stats() {
      return {
        path,
        bytes: totalBytes,
        chunks: chunkCount,
        chunksWritten,
        samplesPending: pump.samplesPending(),
        retentionDeletedChunks,
        retentionDeletedMarks: marksDeleted,
        corruptChunks: reader.corruptChunks,
      };
    },

    bulk() {
      // Its own statements, prepared now (microseconds): a writer is one import's lifetime.
      return new BulkWriter(db, new RecordingSql(db), log);
    },

    rescan() {
      scan();
      reader.clearCache();
    },

    close() {
      if (timer) clearInterval(timer);
      if (db.open) {
        store.flush();
        db.close();
      }
    },
  };

  if (!readonly) store.enforceRetention();
  return store;
}
