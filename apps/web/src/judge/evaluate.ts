import {
  type Finding,
  findPath,
  type HopReport,
  type HopStatus,
  judgeWindow,
  mergeSamples,
  type Sample,
  type Topology,
} from '@hopwatch/shared';

/**
 * The browser's side of the judgement. It calls the same shared functions as the CLI and the hub
 * over a short window of samples, so live and replay (which feeds recorded samples here) agree.
 * Framework-free: the store calls it, tests call it, React never sees it.
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

function toStat(r: HopReport, seconds: number): HopStat {
  const per = seconds > 0 ? 1 / seconds : 0;
  return {
    status: r.status,
    rxPps: r.rxPackets * per,
    txPps: r.txPackets * per,
    drops: r.drops,
    dropsPerSec: r.drops * per,
    lossRatio: r.lossRatio,
    pathIndex: r.pathIndex,
    rules: r.rules.join(','),
    notes: r.notes?.join('\n') ?? '',
  };
}

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

/**
 * The path of the last (topology, from, to) asked: judging runs every sample, the path changes
 * only with the topology or its ends, and on a 3000-interface host finding it costs more than
 * judging the window (tens of ms; bench:web).
 */
let lastPath: { topology: Topology; from: string; to: string; found: ReturnType<typeof findPath> } | null =
  null;
function pathOf(topology: Topology, from: string, to: string): ReturnType<typeof findPath> {
  if (lastPath !== null && lastPath.topology === topology && lastPath.from === from && lastPath.to === to)
    return lastPath.found;
  const found = findPath(topology, from, to);
  lastPath = { topology, from, to, found };
  return found;
}

export interface EvaluateInput {
  host: string;
  topology: Topology;
  /** The judgement window, oldest first (live: the last few samples). */
  samples: readonly Sample[];
  from: string | null;
  to: string | null;
}

/**
 * The same composition as the shared `diagnose` (path, merged window, judgeWindow), but keeping
 * the report of every interface: the map colours all of them, not only the path's.
 */
export function evaluate(input: EvaluateInput, prev: ReadonlyMap<string, HopStat>): Judgement {
  const { topology, samples, from, to } = input;
  let path: string[] | null = null;
  let pathError: string | null = null;
  let pathSuggestions: string[] = [];
  if (from !== null && to !== null) {
    const found = pathOf(topology, from, to);
    if (found.ok) path = found.path;
    else {
      pathError = found.error;
      pathSuggestions = found.suggestions;
    }
  }
  const ordered = [...samples].sort((a, b) => a.t - b.t);
  const merged = mergeSamples(ordered);
  const { hops, findings } = judgeWindow(topology, merged, path, ordered);
  const seconds = merged !== null ? merged.elapsedMs / 1000 : 0;
  const next = new Map<string, HopStat>();
  for (const [id, r] of hops) next.set(id, toStat(r, seconds));
  return {
    statsById: reuseStats(prev, next),
    findings,
    path,
    pathError,
    pathSuggestions,
    windowSeconds: seconds,
  };
}
