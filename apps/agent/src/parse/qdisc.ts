import { isObject, type Json, num, parseOrNull, str } from './json.ts';

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

/** A root qdisc's counters, each read by `count` (absent: 0); one shape for JSON and salvaged text. */
function statsOf(kind: string, count: (key: string) => number): QdiscStats {
  return {
    kind,
    packets: count('packets'),
    bytes: count('bytes'),
    drops: count('drops'),
    overlimits: count('overlimits'),
    requeues: count('requeues'),
    qlen: count('qlen'),
  };
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
    out.set(
      name,
      statsOf(kind, (key) => num(q, key) ?? 0),
    );
  }
  return out;
}

/**
 * One answer of `tc -s -j qdisc show` as text: parsed as JSON, or salvaged when it is not JSON.
 * Older tc printed the options (and some `-s` extended stats) of many qdiscs with plain fprintf
 * even under `-j`: on iproute2 4.18 (RHEL 8.0–8.2) htb, tbf, fq, sfq, codel, netem, pfifo, ...;
 * on 5.5 (Ubuntu 20.04) htb, hfsc, drr, mqprio, qfq, and cake's stats (checked in the iproute2
 * sources: their print_opt/print_xstats). One such qdisc made the whole answer unparsable and its
 * namespace's qdiscs invisible. The counters we read are written by the JSON writer in every
 * version, so they are still there to be read.
 */
export function parseQdiscText(text: string, dev: string | null = null): Map<string, QdiscStats> {
  const doc = parseOrNull(text);
  return doc !== null ? parseQdiscs(doc, dev) : salvageQdiscs(text, dev);
}

/**
 * The salvage: the `"options":{…}` blocks (where the raw text lands) are cut out, each top-level
 * object is cut by brace depth outside strings, and the keys the JSON writer printed are read by
 * pattern, first occurrence (the qdisc's own keys come before any extended stats).
 */
export function salvageQdiscs(text: string, dev: string | null = null): Map<string, QdiscStats> {
  const out = new Map<string, QdiscStats>();
  for (const object of topLevelObjects(withoutOptions(text))) {
    if (!/"root":true/.test(object)) continue;
    const name = stringKey(object, 'dev') ?? dev;
    const kind = stringKey(object, 'kind');
    if (name === null || kind === null || kind === 'noqueue') continue;
    out.set(
      name,
      statsOf(kind, (key) => {
        const m = new RegExp(`"${key}":(\\d+)`).exec(object);
        return m ? Number(m[1]) : 0;
      }),
    );
  }
  return out;
}

function stringKey(object: string, key: string): string | null {
  const m = new RegExp(`"${key}":("(?:[^"\\\\]|\\\\.)*")`).exec(object);
  if (!m) return null;
  const v = parseOrNull(m[1]!);
  return typeof v === 'string' ? v : null;
}

/** `"options":{ raw text }` → `"options":{}`, braces counted outside strings. */
function withoutOptions(text: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf('"options":{', from); at >= 0; at = text.indexOf('"options":{', from)) {
    const open = at + '"options":'.length;
    const close = matching(text, open);
    out += `${text.slice(from, open)}{}`;
    from = close < 0 ? text.length : close + 1;
  }
  return out + text.slice(from);
}

/** Index of the bracket closing the one at `open`, -1 if none. */
function matching(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** The objects directly inside the answer's top-level array. */
function topLevelObjects(text: string): string[] {
  const objects: string[] = [];
  const start = text.indexOf('[');
  for (let i = text.indexOf('{', start + 1); i >= 0; ) {
    const end = matching(text, i);
    if (end < 0) break;
    objects.push(text.slice(i, end + 1));
    i = text.indexOf('{', end + 1);
  }
  return objects;
}
