import { isObject, type Json, num, str } from './json.ts';

/** Absolute statistics of one root qdisc, from `tc -s -j qdisc show`. */
export interface QdiscStats {
  kind: string;
  packets: number;
  bytes: number;
  drops: number;
  overlimits: number;
  requeues: number;
  qlen: number;
}

/**
 * Root qdiscs only, by device name: child qdiscs (htb classes' leaves, mq's per-queue children)
 * are already summed into their root's counters by the kernel. noqueue has no queue to drop from.
 * `dev` names the device for `tc qdisc show dev DEV` answers, which leave it out.
 * tc prints u64 counters as JSON numbers, exact below 2^53: a qdisc's drop and packet counts stay
 * far below that (bytes of a busy root qdisc would need ~8 days at 100 Gbit/s).
 */
export function parseQdiscs(doc: Json | null, dev: string | null = null): Map<string, QdiscStats> {
  const out = new Map<string, QdiscStats>();
  if (!Array.isArray(doc)) return out;
  for (const q of doc) {
    if (!isObject(q) || q.root !== true) continue;
    const name = str(q, 'dev') ?? dev;
    const kind = str(q, 'kind');
    if (name === null || kind === null || kind === 'noqueue') continue;
    const c = (key: string): number => num(q, key) ?? 0;
    out.set(name, {
      kind,
      packets: c('packets'),
      bytes: c('bytes'),
      drops: c('drops'),
      overlimits: c('overlimits'),
      requeues: c('requeues'),
      qlen: num(q, 'qlen') ?? 0,
    });
  }
  return out;
}
