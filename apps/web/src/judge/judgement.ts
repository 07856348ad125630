import type { Finding, HopStatus } from '@hopwatch/shared';

/**
 * What the judgement gives the UI, without the judge: the store and the map use these on the
 * first path, the judge itself (evaluate.ts, the shared rules) is loaded where it runs.
 */

/** One hop's numbers as the map shows them: primitives only, so equality is cheap and exact. */
export interface HopStat {
  status: HopStatus;
  rxPps: number;
  txPps: number;
  /** Packets lost at this hop in the window (veth pairs deduplicated, qdisc and backlog added). */
  drops: number;
  dropsPerSec: number;
  lossRatio: number;
  pathIndex: number | null;
  /** Comma-joined rule ids of the findings on this hop ('' when none). */
  rules: string;
  /**
   * The judge's notes on this hop, one per line ('' when none): how protocol drops were
   * attributed to it, or that its loss is the reverse direction (HopReport.notes; SPEC LOC14, DIR1).
   */
  notes: string;
}

export interface Judgement {
  statsById: Map<string, HopStat>;
  findings: Finding[];
  path: string[] | null;
  /** Why there is no path although from/to are set (in words), with suggestions. */
  pathError: string | null;
  pathSuggestions: string[];
  windowSeconds: number;
}

export const EMPTY_JUDGEMENT: Judgement = {
  statsById: new Map(),
  findings: [],
  path: null,
  pathError: null,
  pathSuggestions: [],
  windowSeconds: 0,
};

export function sameStat(a: HopStat, b: HopStat): boolean {
  return (
    a.status === b.status &&
    a.rxPps === b.rxPps &&
    a.txPps === b.txPps &&
    a.drops === b.drops &&
    a.dropsPerSec === b.dropsPerSec &&
    a.lossRatio === b.lossRatio &&
    a.pathIndex === b.pathIndex &&
    a.rules === b.rules &&
    a.notes === b.notes
  );
}

/**
 * A new Map in which every unchanged hop keeps its previous object: a node subscribed to
 * `statsById.get(id)` re-renders only when its own numbers moved.
 */
export function reuseStats(
  prev: ReadonlyMap<string, HopStat>,
  next: Map<string, HopStat>,
): Map<string, HopStat> {
  for (const [id, stat] of next) {
    const old = prev.get(id);
    if (old !== undefined && sameStat(old, stat)) next.set(id, old);
  }
  return next;
}
