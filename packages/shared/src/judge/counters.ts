import { IFACE_COUNTERS, type IfaceCounterName, type Sample } from '../protocol/model.ts';

/** One interface's window deltas by name (the wire carries them as a positional row). */
export type Counters = Readonly<Record<IfaceCounterName, number>>;

/** Idle interfaces (most of a big host) share this one object instead of a fresh one each. */
const ZERO: Counters = Object.freeze(
  Object.fromEntries(IFACE_COUNTERS.map((name) => [name, 0])) as Record<IfaceCounterName, number>,
);

/** The named deltas of `id` in `window`; an interface absent from the window did nothing (all zero). */
export function countersOf(window: Sample | null, id: string): Counters {
  const row = window?.ifaces[id];
  if (!row) return ZERO;
  // A plain loop: this runs for every interface on every judged sample (hub: every host, every tick).
  const c = {} as Record<IfaceCounterName, number>;
  for (let k = 0; k < IFACE_COUNTERS.length; k++) c[IFACE_COUNTERS[k]!] = row[k] ?? 0;
  return c;
}
