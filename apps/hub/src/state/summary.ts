import {
  HOP_STATUSES,
  type HopReport,
  type HopStatus,
  localize,
  mergeSamples,
  type Sample,
  type Topology,
} from '@hopwatch/shared';

/** How bad a window was, for a host list row or one cell of the timeline heat strip. */
export interface LossSummary {
  worst: HopStatus;
  /** Packets lost in the window, summed over hops (localize deduplicates veth pairs). */
  drops: number;
  lossHops: number;
}

const RANK = new Map<HopStatus, number>(HOP_STATUSES.map((s, i) => [s, i]));

export function worseOf(a: HopStatus, b: HopStatus): HopStatus {
  return (RANK.get(a) ?? 0) >= (RANK.get(b) ?? 0) ? a : b;
}

export function statusRank(s: HopStatus): number {
  return RANK.get(s) ?? 0;
}

/** The judgement is shared code (`localize`), so the strip says what the live map said. */
export function summarize(topology: Topology, samples: readonly Sample[]): LossSummary {
  const window = samples.length === 1 ? samples[0]! : mergeSamples(samples);
  return summaryOf(localize(topology, window).values());
}

export function summaryOf(reports: Iterable<HopReport>): LossSummary {
  let worst: HopStatus = 'idle';
  let drops = 0;
  let lossHops = 0;
  for (const hop of reports) {
    worst = worseOf(worst, hop.status);
    drops += hop.drops;
    if (hop.status === 'loss') lossHops += 1;
  }
  return { worst, drops, lossHops };
}

export function mergeSummaries(a: LossSummary | null, b: LossSummary): LossSummary {
  if (!a) return { ...b };
  return {
    worst: worseOf(a.worst, b.worst),
    drops: a.drops + b.drops,
    lossHops: Math.max(a.lossHops, b.lossHops),
  };
}
