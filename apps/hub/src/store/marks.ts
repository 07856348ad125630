import { randomBytes } from 'node:crypto';
import type { Store } from './store.ts';

/**
 * Named recordings: "INC-4711 packet loss on net-node-3" over a time range, listed, renamed,
 * deleted, and protected from retention (marksSchema.ts). Stored in the recording's own SQLite
 * file through `store.db`, so ':memory:' hubs and tests get them too.
 */
export interface Mark {
  id: string;
  name: string;
  /** Host names the mark covers, or null for every host. */
  hosts: string[] | null;
  start: number;
  end: number;
  created: number;
  updated: number;
}

export interface MarkInput {
  name: string;
  hosts?: string[] | null;
  start: number;
  end: number;
}

export const MARK_NAME_MAX_CHARS = 200;
/**
 * The longest time range a mark may name. A mark keeps the chunks it covers past retention, so
 * one spanning all time would keep everything (and, ending in the future, everything to come);
 * an incident is hours, not weeks. Marks also count against the byte budget (store.ts
 * enforceRetention removes the oldest when marked recordings alone are over it).
 */
export const MARK_MAX_SPAN_MS = 7 * 24 * 3600_000;
/** Ids go into shared URLs (`rec=ID`): short, unguessable enough, URL-safe. */
const MARK_ID_BYTES = 6;

/**
 * Hex, not base64url: an id is typed on command lines (`--rec ID`), and a base64url id that starts
 * with '-' reads as an option there (seen in e2e: `--rec -I6OkV61`).
 */
function newMarkId(): string {
  return randomBytes(MARK_ID_BYTES).toString('hex');
}

export class MarkError extends Error {}

interface MarkRow {
  id: string;
  name: string;
  hosts: string | null;
  start_t: number;
  end_t: number;
  created_t: number;
  updated_t: number;
}

function toMark(r: MarkRow): Mark {
  return {
    id: r.id,
    name: r.name,
    hosts: r.hosts === null ? null : (JSON.parse(r.hosts) as string[]),
    start: r.start_t,
    end: r.end_t,
    created: r.created_t,
    updated: r.updated_t,
  };
}

/** Throws MarkError with a sentence a user can act on; the routes answer it as a 400. */
export function validateMark(input: MarkInput): Required<MarkInput> {
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (name === '' || name.length > MARK_NAME_MAX_CHARS)
    throw new MarkError(`a recording needs a name of 1 to ${MARK_NAME_MAX_CHARS} characters`);
  if (!Number.isSafeInteger(input.start) || !Number.isSafeInteger(input.end) || input.end < input.start)
    throw new MarkError('start and end must be times (ms since the epoch or ISO) with start ≤ end');
  if (input.end - input.start > MARK_MAX_SPAN_MS)
    throw new MarkError(
      `a recording may span at most ${MARK_MAX_SPAN_MS / 86_400_000} days (it is kept past retention); ` +
        'name the incident itself, not the whole history',
    );
  const hosts = input.hosts ?? null;
  if (hosts !== null && (!Array.isArray(hosts) || hosts.length === 0 || hosts.some((h) => h === '')))
    throw new MarkError('hosts must be a non-empty list of host names, or left out for every host');
  return {
    name,
    hosts: hosts === null ? null : [...new Set(hosts)].sort(),
    start: input.start,
    end: input.end,
  };
}

export interface Marks {
  list(): Mark[];
  get(id: string): Mark | null;
  create(input: MarkInput, id?: string): Mark;
  update(id: string, patch: Partial<MarkInput>): Mark | null;
  remove(id: string): boolean;
}

export function openMarks(store: Store, now: () => number = Date.now): Marks {
  const { db } = store;
  // A read-only store of a file written before marks existed has no table: no marks, no error.
  const hasTable = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'marks'`).get();
  const get = (id: string): Mark | null => {
    if (!hasTable) return null;
    const r = db.prepare(`SELECT * FROM marks WHERE id = ?`).get(id) as MarkRow | undefined;
    return r ? toMark(r) : null;
  };
  return {
    list() {
      if (!hasTable) return [];
      return (db.prepare(`SELECT * FROM marks ORDER BY start_t DESC, id`).all() as MarkRow[]).map(toMark);
    },
    get,
    create(input, id) {
      const m = validateMark(input);
      let markId = id ?? newMarkId();
      if (get(markId) !== null) markId = newMarkId();
      const t = now();
      db.prepare(
        `INSERT INTO marks (id, name, hosts, start_t, end_t, created_t, updated_t) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(markId, m.name, m.hosts === null ? null : JSON.stringify(m.hosts), m.start, m.end, t, t);
      return get(markId)!;
    },
    update(id, patch) {
      const cur = get(id);
      if (cur === null) return null;
      const m = validateMark({
        name: patch.name ?? cur.name,
        hosts: patch.hosts === undefined ? cur.hosts : patch.hosts,
        start: patch.start ?? cur.start,
        end: patch.end ?? cur.end,
      });
      db.prepare(
        `UPDATE marks SET name = ?, hosts = ?, start_t = ?, end_t = ?, updated_t = ? WHERE id = ?`,
      ).run(m.name, m.hosts === null ? null : JSON.stringify(m.hosts), m.start, m.end, now(), id);
      return get(id);
    },
    remove(id) {
      if (!hasTable) return false;
      return db.prepare(`DELETE FROM marks WHERE id = ?`).run(id).changes > 0;
    },
  };
}
