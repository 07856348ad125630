import type Database from 'better-sqlite3';
import type { Logger } from '../log.ts';
import type { RecordingSql } from './sql.ts';

export const RETENTION_INTERVAL_MS = 60_000;
/** Size retention looks at this many of the oldest chunks per statement, then re-checks. */
const RETENTION_BATCH = 1000;

const kib = (b: number) => Math.round(b / 1024);
const mib = (b: number) => (b >= 1024 ** 2 ? `${Math.round(b / 1024 ** 2)} MiB` : `${b} bytes`);
const hours = (ms: number) => Math.round((ms / 3600_000) * 10) / 10;

export interface RetentionOptions {
  retentionMs: number;
  retentionBytes: number;
  log: Logger;
  now: () => number;
}

export interface RetentionPass {
  deletedChunks: number;
  deletedBytes: number;
  deletedMarks: number;
}

/**
 * One retention pass over the SQLite recording: unmarked chunks whose end is older than
 * retentionMs go, then the oldest unmarked chunks until the stored bytes (`totalBytes`) are
 * under retentionBytes; when marked chunks alone are over it, the oldest marks go too (each
 * logged), so marks cannot fill the disk. Every deletion is logged with what and why. Topology
 * versions no remaining chunk needs go after any deletion.
 */
export function enforceRetention(
  db: Database.Database,
  sql: RecordingSql,
  totalBytes: number,
  opts: RetentionOptions,
): RetentionPass {
  const { retentionMs, retentionBytes, log } = opts;
  let deletedChunks = 0;
  let deletedBytes = 0;
  let deletedMarks = 0;
  const drop = db.transaction((where: string, ...args: number[]) => {
    const r = sql.deleteUnmarked(where, ...args);
    deletedChunks += r.n;
    deletedBytes += r.b;
    return r;
  });
  const aged = drop('end_t < ?', opts.now() - retentionMs);
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
    let acc = 0;
    let cut: number | null = null;
    for (const r of sql.oldestUnmarked(RETENTION_BATCH)) {
      acc += r.bytes;
      cut = r.end_t;
      if (acc >= excess) break;
    }
    const r = cut === null ? { n: 0, b: 0 } : drop('end_t <= ?', cut);
    if (r.n > 0) {
      budget = { n: budget.n + r.n, b: budget.b + r.b, upTo: cut! };
      continue;
    }
    const mark = sql.oldestMark();
    if (!mark) break;
    sql.deleteMark(mark.id);
    deletedMarks += 1;
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
  if (deletedChunks > 0) pruneTopologies(sql);
  return { deletedChunks, deletedBytes, deletedMarks };
}

/**
 * Topology versions older than a host's oldest remaining chunk are unreachable, except the one
 * in force at that chunk's start. A host with no chunks left keeps only its latest version.
 */
function pruneTopologies(sql: RecordingSql): void {
  for (const host of sql.topologyHosts()) {
    const keep = sql.topologyAt(host, sql.oldestStart(host) ?? Number.MAX_SAFE_INTEGER);
    if (keep) sql.pruneTopologies(host, keep.t);
  }
}
