import type { QdiscDelta, Sample } from '@hopwatch/shared';
import { IFACE_COUNTER_INDEX as C, IFACE_COUNTERS } from '@hopwatch/shared/protocol/constants';
import { JUDGE_WINDOW_SAMPLES } from './constants.ts';

/** Sparkline history: five minutes at the agents' default 1 s interval. */
export const HISTORY_MAX_SAMPLES = 300;
/** …unless the host is huge: cap the retained interface rows (~16 numbers each) to bound memory. */
export const HISTORY_MAX_ROWS = 200_000;

export interface History {
  samples: Sample[];
  /** Interface rows held in `samples` (the memory that matters). */
  rows: number;
}

export const EMPTY_HISTORY: History = { samples: [], rows: 0 };

/**
 * A sample's interface rows, counted once: Object.keys of a 3000-interface sample twice a tick
 * (the newest in, the oldest out) was ~0.4 ms of the judge worker's tick.
 */
const rowCounts = new WeakMap<Sample, number>();
function rowsOf(s: Sample): number {
  let n = rowCounts.get(s);
  if (n === undefined) {
    n = Object.keys(s.ifaces).length;
    rowCounts.set(s, n);
  }
  return n;
}

/**
 * The history with one more sample (oldest dropped past the bounds, never below the judgement
 * window), or null for a duplicate or out-of-order sample (a reconnect's backfill).
 */
export function appendHistory(h: History, sample: Sample): History | null {
  const last = h.samples.at(-1);
  if (last !== undefined && sample.t <= last.t) return null;
  const samples = [...h.samples, sample];
  let rows = h.rows + rowsOf(sample);
  let start = 0;
  while (
    samples.length - start > JUDGE_WINDOW_SAMPLES &&
    (samples.length - start > HISTORY_MAX_SAMPLES || rows > HISTORY_MAX_ROWS)
  ) {
    rows -= rowsOf(samples[start]!);
    start++;
  }
  return { samples: start === 0 ? samples : samples.slice(start), rows };
}

export interface HopSeries {
  rxPps: number[];
  txPps: number[];
  /** Interface drops (rx + tx dropped) plus the root qdisc's drops, per second. */
  dropsPs: number[];
  errorsPs: number[];
}

/** What the hop detail panel draws for the selected hop: computed where the samples live. */
export interface HopHistory {
  id: string;
  series: HopSeries;
  /** Every counter summed over the judgement window, in IFACE_COUNTERS order. */
  counters: number[];
  /** The root qdisc in the newest sample, when the agent reports one. */
  qdisc: QdiscDelta | null;
}

/**
 * One hop's history, per second. An interface absent from a sample was idle in it (the wire
 * omits all-zero rows), so it reads as 0, not as a gap.
 */
export function hopHistory(samples: readonly Sample[], id: string): HopHistory {
  const series: HopSeries = { rxPps: [], txPps: [], dropsPs: [], errorsPs: [] };
  for (const s of samples) {
    const per = 1000 / s.elapsedMs;
    const row = s.ifaces[id];
    const v = (k: keyof typeof C) => (row === undefined ? 0 : (row[C[k]] ?? 0));
    series.rxPps.push(v('rxPackets') * per);
    series.txPps.push(v('txPackets') * per);
    series.dropsPs.push((v('rxDropped') + v('txDropped') + (s.qdiscs[id]?.drops ?? 0)) * per);
    series.errorsPs.push((v('rxErrors') + v('txErrors')) * per);
  }
  const counters = IFACE_COUNTERS.map(() => 0);
  for (const s of samples.slice(-JUDGE_WINDOW_SAMPLES)) {
    const row = s.ifaces[id];
    if (row !== undefined) for (let i = 0; i < counters.length; i++) counters[i]! += row[i] ?? 0;
  }
  return { id, series, counters, qdisc: samples.at(-1)?.qdiscs[id] ?? null };
}
