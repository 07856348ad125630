import { randomBytes } from 'node:crypto';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';
import { type Mark, type Marks, validateMark } from '../store/marks.ts';
import { whenJetStreamReady } from './streams.ts';

/**
 * Named recordings of a fleet, in a KV bucket every replica watches: a mark made through one
 * replica is listed by all within moments. The Marks API is synchronous, so reads answer from the
 * watched copy and writes update it at once and go to the bucket behind (logged when they fail).
 * Unlike the embedded file, a mark does not hold its chunks past the stream's age limit.
 */
export async function openFleetMarks(
  nc: NatsConnection,
  bucket: string,
  opts: { replicas: number; log: Logger; now?: () => number },
): Promise<Marks> {
  const now = opts.now ?? Date.now;
  const kv: KV = await whenJetStreamReady(`bucket ${bucket}`, () =>
    new Kvm(nc).create(bucket, { history: 1, replicas: opts.replicas }),
  );
  const marks = new Map<string, Mark>();
  const it = await kv.watch();
  void (async () => {
    for await (const e of it) {
      if (e.operation === 'PUT') {
        try {
          // Checked as a created one is (validateMark throws), and named by its key: a value that
          // is no mark must not break list() or make remove() delete another key.
          const raw = e.json<Mark>();
          marks.set(e.key, {
            ...validateMark(raw),
            id: e.key,
            created: Number(raw.created) || 0,
            updated: Number(raw.updated) || 0,
          });
        } catch {
          // not a mark
        }
      } else marks.delete(e.key);
    }
  })();
  const save = (m: Mark) =>
    void kv
      .put(m.id, JSON.stringify(m))
      .catch((e: Error) => opts.log.warn(`fleet: saving mark ${m.id}: ${e.message}`));
  const newId = () => randomBytes(6).toString('hex');
  return {
    list: () => [...marks.values()].sort((a, b) => b.start - a.start || a.id.localeCompare(b.id)),
    get: (id) => marks.get(id) ?? null,
    create(input, id) {
      const m = validateMark(input);
      let markId = id ?? newId();
      if (marks.has(markId)) markId = newId();
      const t = now();
      const mark: Mark = { id: markId, ...m, created: t, updated: t };
      marks.set(markId, mark);
      save(mark);
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
      save(next);
      return next;
    },
    remove(id) {
      if (!marks.delete(id)) return false;
      void kv.delete(id).catch((e: Error) => opts.log.warn(`fleet: removing mark ${id}: ${e.message}`));
      return true;
    },
  };
}
