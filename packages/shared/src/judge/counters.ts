import { IFACE_COUNTERS, type IfaceCounterName, type Sample } from '../protocol/model.ts';

/** One interface's window deltas by name (the wire carries them as a positional row). */
export type Counters = Record<IfaceCounterName, number>;

/** The named deltas of `id` in `window`; an interface absent from the window did nothing (all zero). */
export function countersOf(window: Sample | null, id: string): Counters {
  const row = window?.ifaces[id];
  return Object.fromEntries(IFACE_COUNTERS.map((name, k) => [name, row?.[k] ?? 0])) as Counters;
}
