import type Database from 'better-sqlite3';
import { MARK_HOLD_SQL } from './marksSchema.ts';

/** A row of `chunks` (schema.ts) as written: the live pump and replay import build the same. */
export interface ChunkRow {
  host: string;
  start: number;
  end: number;
  samples: number;
  codec: string;
  summary: string | null;
  data: Buffer;
}

export interface StoredChunk {
  start_t: number;
  end_t: number;
  samples: number;
  codec: string;
  summary: string | null;
  data: Buffer;
}

export interface StoredTopology {
  t: number;
  data: Buffer;
}

/**
 * Every statement the SQLite recording runs, prepared once, and nothing else: the pump, the
 * readers, retention and import go through here, so the SQL exists in one place (the import code
 * used to carry its own copies, which had drifted).
 */
export class RecordingSql {
  private readonly q;

  constructor(readonly db: Database.Database) {
    this.q = {
      insertChunk: db.prepare(
        `INSERT INTO chunks (host, start_t, end_t, samples, codec, bytes, summary, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteChunk: db.prepare(`DELETE FROM chunks WHERE rowid = ?`),
      chunksIn: db.prepare(
        `SELECT start_t, end_t, samples, codec, summary, data FROM chunks
         WHERE host = ? AND end_t >= ? AND start_t <= ? ORDER BY start_t`,
      ),
      summariesIn: db.prepare(
        `SELECT start_t, end_t, samples, summary FROM chunks
         WHERE host = ? AND end_t >= ? AND start_t <= ? ORDER BY start_t`,
      ),
      samplesIn: db.prepare(
        `SELECT coalesce(sum(samples), 0) AS n FROM chunks WHERE host = ? AND end_t >= ? AND start_t <= ?`,
      ),
      firstChunk: db.prepare(`SELECT start_t FROM chunks WHERE host = ? ORDER BY end_t LIMIT 1`),
      oldestStart: db.prepare(`SELECT min(start_t) AS s FROM chunks WHERE host = ?`),
      lastEnds: db.prepare(`SELECT host, max(end_t) AS t FROM chunks GROUP BY host`),
      chunkCount: db.prepare(`SELECT count(*) AS n FROM chunks`),
      chunkBytes: db.prepare(`SELECT coalesce(sum(bytes), 0) AS b FROM chunks`),
      insertTopology: db.prepare(
        `INSERT OR REPLACE INTO topologies (host, t, bytes, data) VALUES (?, ?, ?, ?)`,
      ),
      deleteTopology: db.prepare(`DELETE FROM topologies WHERE rowid = ?`),
      topologyAt: db.prepare(
        `SELECT t, data FROM topologies WHERE host = ? AND t <= ? ORDER BY t DESC LIMIT 1`,
      ),
      topologiesIn: db.prepare(
        `SELECT t, data FROM topologies WHERE host = ? AND t > ? AND t <= ? ORDER BY t`,
      ),
      firstTopology: db.prepare(`SELECT t, data FROM topologies WHERE host = ? ORDER BY t LIMIT 1`),
      topologyHosts: db.prepare(`SELECT DISTINCT host FROM topologies`),
      topologyBytes: db.prepare(`SELECT coalesce(sum(bytes), 0) AS b FROM topologies`),
      pruneTopologies: db.prepare(`DELETE FROM topologies WHERE host = ? AND t < ?`),
    };
  }

  /** The new row's rowid (a failed import deletes what it wrote by rowid). */
  insertChunk(r: ChunkRow): number | bigint {
    return this.q.insertChunk.run(
      r.host,
      r.start,
      r.end,
      r.samples,
      r.codec,
      r.data.length,
      r.summary,
      r.data,
    ).lastInsertRowid;
  }

  deleteChunk(rowid: number | bigint): void {
    this.q.deleteChunk.run(rowid);
  }

  /** Row by row: a reader stops at its cap and the blobs after it are never loaded. */
  chunksIn(host: string, start: number, end: number): IterableIterator<StoredChunk> {
    return this.q.chunksIn.iterate(host, start, end) as IterableIterator<StoredChunk>;
  }

  summariesIn(host: string, start: number, end: number): Omit<StoredChunk, 'codec' | 'data'>[] {
    return this.q.summariesIn.all(host, start, end) as Omit<StoredChunk, 'codec' | 'data'>[];
  }

  samplesIn(host: string, start: number, end: number): number {
    return (this.q.samplesIn.get(host, start, end) as { n: number }).n;
  }

  /** By the (host, end_t) index: the host's first chunk's start. */
  firstStart(host: string): number | null {
    const r = this.q.firstChunk.get(host) as { start_t: number } | undefined;
    return r?.start_t ?? null;
  }

  oldestStart(host: string): number | null {
    return (this.q.oldestStart.get(host) as { s: number | null }).s;
  }

  lastEnds(): { host: string; t: number }[] {
    return this.q.lastEnds.all() as { host: string; t: number }[];
  }

  chunkCount(): number {
    return (this.q.chunkCount.get() as { n: number }).n;
  }

  /** Bytes of chunks and topologies: what the byte budget counts. */
  totalBytes(): number {
    return (this.q.chunkBytes.get() as { b: number }).b + (this.q.topologyBytes.get() as { b: number }).b;
  }

  insertTopology(host: string, t: number, data: Buffer): number | bigint {
    return this.q.insertTopology.run(host, t, data.length, data).lastInsertRowid;
  }

  deleteTopology(rowid: number | bigint): void {
    this.q.deleteTopology.run(rowid);
  }

  topologyAt(host: string, t: number): StoredTopology | undefined {
    return this.q.topologyAt.get(host, t) as StoredTopology | undefined;
  }

  topologiesIn(host: string, after: number, upTo: number): IterableIterator<StoredTopology> {
    return this.q.topologiesIn.iterate(host, after, upTo) as IterableIterator<StoredTopology>;
  }

  firstTopology(host: string): StoredTopology | undefined {
    return this.q.firstTopology.get(host) as StoredTopology | undefined;
  }

  topologyHosts(): string[] {
    return (this.q.topologyHosts.all() as { host: string }[]).map((r) => r.host);
  }

  pruneTopologies(host: string, before: number): void {
    this.q.pruneTopologies.run(host, before);
  }

  /** Unmarked chunks matching `where` (over chunks' columns): counted, then deleted. */
  deleteUnmarked(where: string, ...args: number[]): { n: number; b: number } {
    const r = this.db
      .prepare(
        `SELECT count(*) AS n, coalesce(sum(bytes), 0) AS b FROM chunks WHERE (${where}) AND NOT ${MARK_HOLD_SQL}`,
      )
      .get(...args) as { n: number; b: number };
    this.db.prepare(`DELETE FROM chunks WHERE (${where}) AND NOT ${MARK_HOLD_SQL}`).run(...args);
    return r;
  }

  // Retention's statements name the marks table, which a read-only file written before marks
  // existed lacks: prepared when retention runs (never on a read-only store), not up front.

  oldestUnmarked(limit: number): { end_t: number; bytes: number }[] {
    return this.db
      .prepare(`SELECT end_t, bytes FROM chunks WHERE NOT ${MARK_HOLD_SQL} ORDER BY end_t LIMIT ?`)
      .all(limit) as { end_t: number; bytes: number }[];
  }

  oldestMark(): { id: string; name: string; start_t: number; end_t: number } | undefined {
    return this.db
      .prepare(`SELECT id, name, start_t, end_t FROM marks ORDER BY start_t, created_t LIMIT 1`)
      .get() as { id: string; name: string; start_t: number; end_t: number } | undefined;
  }

  deleteMark(id: string): void {
    this.db.prepare(`DELETE FROM marks WHERE id = ?`).run(id);
  }
}
