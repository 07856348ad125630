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

/** A host's latest judgement in the host list: the summary and which hop is worst, and why. */
export interface HostJudgement extends LossSummary {
  worstHop: string | null;
  rule: string | null;
}

/**
 * The hop the host list names: the worst status, most drops among equals. None when the worst is
 * ok or idle: "worst hop" of a healthy host would point at an arbitrary interface.
 */
export function judgementOf(reports: Iterable<HopReport>): HostJudgement {
  const list = [...reports];
  let worstHop: HopReport | null = null;
  for (const hop of list) {
    if (statusRank(hop.status) <= statusRank('ok')) continue;
    if (
      !worstHop ||
      statusRank(hop.status) > statusRank(worstHop.status) ||
      (hop.status === worstHop.status && hop.drops > worstHop.drops)
    )
      worstHop = hop;
  }
  return { ...summaryOf(list), worstHop: worstHop?.id ?? null, rule: worstHop?.rules[0] ?? null };
}
