import type Database from 'better-sqlite3';
import { MARKS_DDL } from './marksSchema.ts';

/** Bumped when the tables change shape; an older file is refused with a message, never guessed at. */
export const STORE_SCHEMA_VERSION = 1;

/**
 * `chunks`: one row per host per few seconds of samples (chunk.ts), keyed by its last sample's
 * time, which only grows per host (append refuses anything not newer). `topologies`: one row per
 * topology version, written only when it changed. Rowid tables with secondary indexes: the rows
 * carry blobs of tens of KB, which WITHOUT ROWID tables would drag through every index page.
 */
export function migrate(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS chunks (
      host TEXT NOT NULL,
      start_t INTEGER NOT NULL,
      end_t INTEGER NOT NULL,
      samples INTEGER NOT NULL,
      codec TEXT NOT NULL,
      bytes INTEGER NOT NULL,
      summary TEXT,
      data BLOB NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS chunks_host_end ON chunks (host, end_t);
    CREATE INDEX IF NOT EXISTS chunks_end ON chunks (end_t);
    CREATE TABLE IF NOT EXISTS topologies (
      host TEXT NOT NULL,
      t INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      data BLOB NOT NULL
    );
    CREATE UNIQUE INDEX IF NOT EXISTS topologies_host_t ON topologies (host, t);
  `);
  db.exec(MARKS_DDL);
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as
    | { value: string }
    | undefined;
  if (!row) {
    db.prepare(`INSERT INTO meta (key, value) VALUES ('schema', ?)`).run(String(STORE_SCHEMA_VERSION));
  } else if (Number(row.value) !== STORE_SCHEMA_VERSION) {
    throw new Error(
      `recording database has schema ${row.value}, this hopwatch reads schema ${STORE_SCHEMA_VERSION}; ` +
        'use the hopwatch version that wrote it, or start with a fresh --db',
    );
  }
}
