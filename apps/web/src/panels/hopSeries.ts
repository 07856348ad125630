import { IFACE_COUNTER_INDEX as C, IFACE_COUNTERS, type Sample } from '@hopwatch/shared';

export interface HopSeries {
  rxPps: number[];
  txPps: number[];
  /** Interface drops (rx + tx dropped) plus the root qdisc's drops, per second. */
  dropsPs: number[];
  errorsPs: number[];
  rxBps: number[];
  txBps: number[];
}

/**
 * One hop's history, per second, from the retained samples. An interface absent from a sample
 * was idle in it (the wire omits all-zero rows), so it reads as 0, not as a gap.
 */
export function hopSeries(history: readonly Sample[], id: string): HopSeries {
  const out: HopSeries = { rxPps: [], txPps: [], dropsPs: [], errorsPs: [], rxBps: [], txBps: [] };
  for (const s of history) {
    const per = 1000 / s.elapsedMs;
    const row = s.ifaces[id];
    const q = s.qdiscs[id]?.drops ?? 0;
    const v = (k: keyof typeof C) => (row === undefined ? 0 : (row[C[k]] ?? 0));
    out.rxPps.push(v('rxPackets') * per);
    out.txPps.push(v('txPackets') * per);
    out.dropsPs.push((v('rxDropped') + v('txDropped') + q) * per);
    out.errorsPs.push((v('rxErrors') + v('txErrors')) * per);
    out.rxBps.push(v('rxBytes') * per);
    out.txBps.push(v('txBytes') * per);
  }
  return out;
}

/** Sum of every counter over some samples (the judgement window), in IFACE_COUNTERS order. */
export function sumCounters(samples: readonly Sample[], id: string): number[] {
  const sum = IFACE_COUNTERS.map(() => 0);
  for (const s of samples) {
    const row = s.ifaces[id];
    if (row === undefined) continue;
    for (let i = 0; i < sum.length; i++) sum[i]! += row[i] ?? 0;
  }
  return sum;
}
