import type { HopReport, Sample, Topology } from '@hopwatch/shared';
// By their own paths, not the package's index: the index builds the protocol's zod schemas, which
// the judge worker does without (it starts sooner: apps/web/README.md § Speed).
import { judgeWindow } from '@hopwatch/shared/judge/localize';
import { findPath } from '@hopwatch/shared/judge/path';
import { mergeSamples } from '@hopwatch/shared/judge/window';
import { type HopStat, type Judgement, reuseStats } from './judgement.ts';

export { EMPTY_JUDGEMENT, type HopStat, type Judgement, reuseStats, sameStat } from './judgement.ts';

/**
 * The browser's side of the judgement. It calls the same shared functions as the CLI and the hub
 * over a short window of samples, so live and replay (which feeds recorded samples here) agree.
 * Framework-free: the store calls it, tests call it, React never sees it.
 */

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
  /**
   * How the window is merged: mergeSamples, or the same sums kept running from the last call
   * (createRunningWindow: the engine's, judging one sample more each tick).
   */
  merge?: (samples: readonly Sample[]) => Sample | null;
}

/**
 * The same composition as the shared `diagnose` (path, merged window, judgeWindow), but keeping
 * the report of every interface: the map colours all of them, not only the path's.
 */
export function evaluate(input: EvaluateInput, prev: ReadonlyMap<string, HopStat>): Judgement {
  const { topology, samples, from, to, merge = mergeSamples } = input;
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
  const merged = merge(ordered);
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
