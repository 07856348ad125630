import type { Keyframe, Topology } from '@hopwatch/shared';
import type Database from 'better-sqlite3';
import type { Logger } from '../log.ts';
import { compressText } from './chunk.ts';
import { buildChunkRow } from './chunkRow.ts';
import type { SampleColumns } from './columns.ts';
import type { RecordingSql } from './sql.ts';

/** What a bulk write put in the file, by rowid, so a failure half-way can take it out again. */
export interface BulkWritten {
  chunks: (number | bigint)[];
  topologies: (number | bigint)[];
}

/**
 * The write path for many chunks at once (replay import): the same chunk rows and topology rows
 * the live pump writes (chunkRow.ts, sql.ts), in caller-sized transactions, each row remembered
 * so that undo() removes exactly what was written.
 */
export class BulkWriter {
  readonly written: BulkWritten = { chunks: [], topologies: [] };

  constructor(
    private readonly db: Database.Database,
    private readonly sql: RecordingSql,
    private readonly log: Logger,
  ) {}

  /** fn in one transaction (committed when it returns, rolled back when it throws). */
  batch<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  chunk(
    host: string,
    columns: SampleColumns,
    keyframes: readonly Keyframe[],
    topology: Topology | null,
  ): void {
    const row = buildChunkRow(host, { columns }, keyframes, topology, (e) =>
      this.log.warn(`store: could not summarise an imported chunk of ${host}: ${e.message}`),
    );
    if (row) this.written.chunks.push(this.sql.insertChunk(row));
  }

  topology(host: string, t: number, topology: Topology): void {
    this.written.topologies.push(this.sql.insertTopology(host, t, compressText(JSON.stringify(topology))));
  }

  /** Removes every row this writer wrote, in one transaction. */
  undo(): void {
    this.batch(() => {
      for (const id of this.written.chunks) this.sql.deleteChunk(id);
      for (const id of this.written.topologies) this.sql.deleteTopology(id);
    });
  }
}
