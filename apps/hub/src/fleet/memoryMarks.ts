import { randomBytes } from 'node:crypto';
import { type Mark, type Marks, validateMark } from '../store/marks.ts';

/**
 * Named recordings of a fleet replica, kept in this process only: marks in a shared bucket (and
 * their hold on retention, which JetStream's age limit does not know) are not built yet. Enough
 * for a replica's own API to answer; a restarted replica has none.
 */
export function memoryMarks(now: () => number): Marks {
  const marks = new Map<string, Mark>();
  return {
    list: () => [...marks.values()].sort((a, b) => b.start - a.start || a.id.localeCompare(b.id)),
    get: (id) => marks.get(id) ?? null,
    create(input, id) {
      const m = validateMark(input);
      let markId = id ?? randomBytes(6).toString('hex');
      if (marks.has(markId)) markId = randomBytes(6).toString('hex');
      const t = now();
      const mark: Mark = { id: markId, ...m, created: t, updated: t };
      marks.set(markId, mark);
      return mark;
    },
    update(id, patch) {
      const cur = marks.get(id);
      if (!cur) return null;
      const m = validateMark({
        name: patch.name ?? cur.name,
        hosts: patch.hosts === undefined ? cur.hosts : patch.hosts,
        start: patch.start ?? cur.start,
        end: patch.end ?? cur.end,
      });
      const next: Mark = { ...cur, ...m, updated: now() };
      marks.set(id, next);
      return next;
    },
    remove: (id) => marks.delete(id),
  };
}
