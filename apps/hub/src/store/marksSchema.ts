/**
 * Named recordings ("marks"): a name over a time range of one, several or all hosts, kept in the
 * recording file itself so a mark and the samples it names travel and expire together.
 *
 * Additive to schema 1 (store/schema.ts runs MARKS_DDL): an older hopwatch opens a file that has
 * the table and simply ignores it, so the schema number does not move.
 */
export const MARKS_DDL = `
  CREATE TABLE IF NOT EXISTS marks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- JSON array of host names, or NULL for every host.
    hosts TEXT,
    start_t INTEGER NOT NULL,
    end_t INTEGER NOT NULL,
    created_t INTEGER NOT NULL,
    updated_t INTEGER NOT NULL
  );
`;

/**
 * SQL condition over a `chunks` row: true when a mark covers it. Retention (store.ts) deletes
 * only rows where this is false, so a marked incident outlives the retention window. A chunk
 * that straddles a mark's edge is kept whole: the mark's first and last second stay replayable
 * with their full judgement window.
 */
export const MARK_HOLD_SQL = `EXISTS (
  SELECT 1 FROM marks m
  WHERE m.start_t <= chunks.end_t AND m.end_t >= chunks.start_t
    AND (m.hosts IS NULL OR EXISTS (SELECT 1 FROM json_each(m.hosts) h WHERE h.value = chunks.host))
)`;
