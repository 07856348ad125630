import type { Keyframe, QdiscDelta, Sample, SoftnetDelta } from '@hopwatch/shared';
import type { QdiscStats } from './parse/qdisc.ts';
import type { SoftnetRow } from './parse/softnet.ts';
import { type Counter, counterDelta, counterString, u32Delta } from './util/counter.ts';

/** One interface's absolute counters; ifindex tells a recreated interface from the old one of the same name. */
export interface IfaceTotal {
  ifindex: number;
  row: Counter[];
}

/**
 * One namespace's interfaces by id. The reader hands back the very same map while the namespace's
 * net/dev reads exactly as before (sampling/counter-reader.ts): identity means "nothing moved".
 */
export type NsIfaceTotals = ReadonlyMap<string, IfaceTotal>;

/** Absolute counters at one instant (sampling/counter-reader.ts reads them): deltas are taken between two. */
export interface CounterTotals {
  /** By namespace name, then interface id. */
  ifaces: Map<string, NsIfaceTotals>;
  softnet: SoftnetRow[];
  /** By interface id, root qdiscs that queue (not noqueue). */
  qdiscs: Map<string, QdiscStats>;
  /** By namespace name, then `Group.Field`; the same map again while not re-read. */
  snmp: Map<string, Map<string, Counter>>;
}

export type CounterDeltas = Pick<Sample, 'elapsedMs' | 'ifaces' | 'softnet' | 'qdiscs' | 'snmp'>;

/**
 * One row of interface counters. A row whose ifindex changed, or in which any counter went
 * backwards, belongs to a device that was recreated (or whose driver cleared its stats): the
 * delta is then the new values, i.e. what happened since the reset — never negative.
 */
export function diffRow(
  prev: Counter[],
  next: Counter[],
  sameDevice = true,
): { delta: number[]; reset: boolean } {
  const moved = rowDelta(prev, next, sameDevice);
  const zeros = () => next.map(() => 0);
  if (moved === null) return { delta: zeros(), reset: false };
  return { delta: moved.delta ?? zeros(), reset: moved.reset };
}

function wentBack(p: Counter, n: Counter): boolean {
  return typeof p === 'number' && typeof n === 'number' ? n < p : BigInt(n) < BigInt(p);
}

/**
 * The row's deltas (null: none moved) and whether it was a reset; null when neither. One pass
 * that reads each counter once: diffCounters runs this for every row that moved, every sample,
 * in an agent without the optimising compiler, where reading a counter above 2^31 from an array
 * boxes it anew, and where a map() with its closure, a result object and a some() were a sixth
 * of what a sample allocated.
 */
function rowDelta(
  prev: Counter[],
  next: Counter[],
  sameDevice: boolean,
): { delta: number[] | null; reset: boolean } | null {
  const length = next.length;
  if (!sameDevice || prev.length !== length) return sinceReset(next);
  let delta: number[] | null = null;
  for (let i = 0; i < length; i++) {
    const p = prev[i]!;
    const n = next[i]!;
    if (p === n) continue;
    if (wentBack(p, n)) return sinceReset(next);
    delta ??= new Array<number>(length).fill(0);
    delta[i] = counterDelta(p, n);
  }
  return delta === null ? null : { delta, reset: false };
}

/** A reset row's deltas: its values, what happened since the reset. */
function sinceReset(next: Counter[]): { delta: number[] | null; reset: true } {
  let delta: number[] | null = null;
  for (let i = 0; i < next.length; i++) {
    const d = counterDelta(0, next[i]!);
    if (d === 0) continue;
    delta ??= new Array<number>(next.length).fill(0);
    delta[i] = d;
  }
  return { delta, reset: true };
}

/**
 * Deltas between two readings of the totals. Interfaces absent from `prev` are new to us: their first
 * reading is a baseline and they appear from the next interval on (their totals since creation
 * could be years of traffic of a namespace we just started to watch). Interfaces and SNMP
 * namespaces with nothing to report are omitted: absent means zero.
 */
export function diffCounters(prev: CounterTotals, next: CounterTotals, elapsedMs: number): CounterDeltas {
  const ifaces: Record<string, number[]> = {};
  // forEach, not for-of with destructuring: the agent runs without the optimising compiler
  // (packaging/hopwatch-agent.service), where each for-of step over a map makes an iterator
  // result and an entry array — garbage, and page faults for the young generation, per
  // namespace per sample.
  next.ifaces.forEach((nextNs, ns) => {
    const prevNs = prev.ifaces.get(ns);
    // An idle namespace is the very same map (its net/dev read byte for byte as before).
    if (prevNs === nextNs || prevNs === undefined) return;
    nextNs.forEach((n, id) => {
      const p = prevNs.get(id);
      // Most rows are idle: the reader passes the very same total then (see counter-reader.ts).
      if (!p || (p.ifindex === n.ifindex && p.row === n.row)) return;
      const delta = rowDelta(p.row, n.row, p.ifindex === n.ifindex)?.delta;
      if (delta) ifaces[id] = delta;
    });
  });
  return {
    elapsedMs,
    ifaces,
    softnet: diffSoftnet(prev.softnet, next.softnet),
    qdiscs: diffQdiscs(prev.qdiscs, next.qdiscs),
    snmp: diffSnmp(prev.snmp, next.snmp),
  };
}

/** softnet_stat columns are u32 and wrap (processed wraps in minutes at high packet rates). */
export function diffSoftnet(prev: SoftnetRow[], next: SoftnetRow[]): SoftnetDelta[] {
  const byCpu = new Map(prev.map((r) => [r.cpu, r]));
  const out: SoftnetDelta[] = [];
  for (const n of next) {
    const p = byCpu.get(n.cpu);
    if (!p) continue; // a CPU that just came online: baseline first
    out.push({
      cpu: n.cpu,
      processed: u32Delta(p.processed, n.processed),
      dropped: u32Delta(p.dropped, n.dropped),
      timeSqueeze: u32Delta(p.timeSqueeze, n.timeSqueeze),
      receivedRps: u32Delta(p.receivedRps, n.receivedRps),
      flowLimit: u32Delta(p.flowLimit, n.flowLimit),
      backlogLen: n.backlogLen,
    });
  }
  return out;
}

/** Every queueing root qdisc is reported, zero or not: there are few, and "no drops" is news. */
export function diffQdiscs(
  prev: Map<string, QdiscStats>,
  next: Map<string, QdiscStats>,
): Record<string, QdiscDelta> {
  const out: Record<string, QdiscDelta> = {};
  for (const [id, n] of next) {
    const p = prev.get(id);
    if (!p) continue;
    const cols = ['packets', 'bytes', 'drops', 'overlimits', 'requeues'] as const;
    const { delta } = diffRow(
      cols.map((c) => p[c]),
      cols.map((c) => n[c]),
      p.kind === n.kind,
    );
    out[id] = {
      kind: n.kind,
      packets: delta[0]!,
      bytes: delta[1]!,
      drops: delta[2]!,
      overlimits: delta[3]!,
      requeues: delta[4]!,
      qlen: n.qlen,
    };
  }
  return out;
}

export function diffSnmp(
  prev: Map<string, Map<string, Counter>>,
  next: Map<string, Map<string, Counter>>,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  // forEach: see diffCounters.
  next.forEach((n, ns) => {
    const p = prev.get(ns);
    if (!p || p === n) return; // not re-read since: nothing to report
    let fields: Record<string, number> | null = null;
    n.forEach((value, key) => {
      const before = p.get(key);
      if (before === undefined) return;
      const d = counterDelta(before, value);
      if (d === 0) return;
      fields ??= {};
      fields[key] = d;
    });
    if (fields) out[ns] = fields;
  });
  return out;
}

/** Absolute totals as exact decimal strings. */
export function keyframeOf(t: number, snap: CounterTotals): Keyframe {
  const ifaces: Record<string, string[]> = {};
  for (const ns of snap.ifaces.values()) for (const [id, { row }] of ns) ifaces[id] = row.map(counterString);
  return {
    t,
    ifaces,
    softnet: snap.softnet.map((r) => ({
      cpu: r.cpu,
      processed: String(r.processed),
      dropped: String(r.dropped),
    })),
  };
}

/**
 * The keyframe as JSON text, written straight from the totals (SPEC CTR8): the same document as
 * `JSON.stringify(keyframeOf(t, snap))`, up to the order of interface keys. keyframeOf makes an
 * array of 16 strings per interface; at 1100 interfaces, with JSON.stringify after it, that was
 * ~3 MB made in one go every minute, and about half of it was caught alive by the scavenges that
 * ran while it was being made, so it was promoted and left to the next full collection. Here a
 * row costs its number JSON and one replace: ~0.5 MB.
 */
export function keyframeJson(t: number, snap: CounterTotals): string {
  const parts: string[] = [];
  // forEach and indexed loops: see diffCounters (here 1100 rows at once, every minute).
  snap.ifaces.forEach((ns) => {
    ns.forEach(({ row }, id) => {
      parts.push(`${JSON.stringify(id)}:${rowJson(row)}`);
    });
  });
  const softnet = snap.softnet.map(
    (r) => `{"cpu":${r.cpu},"processed":"${r.processed}","dropped":"${r.dropped}"}`,
  );
  return `{"t":${t},"ifaces":{${parts.join(',')}},"softnet":[${softnet.join(',')}]}`;
}

/** `["1","2",…]`: a row of counters as exact decimal strings. */
function rowJson(row: Counter[]): string {
  for (let i = 0; i < row.length; i++)
    if (typeof row[i] !== 'number') return JSON.stringify(row.map(counterString));
  // Integers below 2^53 print the same in JSON as String(n), which join uses: digits only, no
  // exponent. One flat string a row (a replaceAll over the row's JSON made ~30 pieces of it).
  return row.length === 0 ? '[]' : `["${row.join('","')}"]`;
}
