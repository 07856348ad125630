import type { Diagnosis, Finding, HopReport } from '../protocol/diagnosis.ts';
import { HOP_STATUSES } from '../protocol/constants.ts';
import type { Sample, Topology } from '../protocol/model.ts';
import { judgeWindow } from './localize.ts';
import { findPath } from './path.ts';
import { mergeSamples } from './window.ts';

export interface DiagnoseInput {
  host: string;
  topology: Topology;
  samples: readonly Sample[];
  from?: string | null;
  to?: string | null;
}

const worstFirst = (a: HopReport, b: HopReport) =>
  HOP_STATUSES.indexOf(b.status) - HOP_STATUSES.indexOf(a.status) ||
  b.drops - a.drops ||
  a.id.localeCompare(b.id);

/** A path that cannot be found is said in the findings (rule `PATH`), never thrown. */
function pathProblem(error: string, suggestions: readonly string[]): Finding {
  return {
    rule: 'PATH',
    title: 'No path between the given interfaces',
    severity: 'info',
    hop: null,
    reason: null,
    count: 0,
    evidence: [error, ...(suggestions.length > 0 ? [`closest: ${suggestions.join(', ')}`] : [])],
    fix: 'Give both --from and --to as interface ids (NETNS/IFNAME) that exist on this host.',
    command: null,
  };
}

/** Keys in the schema's order, so `--json` output is stable text for people and diffs. */
function canonical(f: Finding): Finding {
  return {
    rule: f.rule,
    title: f.title,
    severity: f.severity,
    hop: f.hop,
    reason: f.reason,
    count: f.count,
    evidence: f.evidence,
    fix: f.fix,
    command: f.command,
  };
}

/**
 * `hopwatch diagnose --json` and the hub's diagnosis route: the same object from the same code.
 * With from/to: the path's hops in order (pathIndex 1..n); without: every interface that did
 * something, worst first. Findings: most severe first, then by count.
 */
export function diagnose(input: DiagnoseInput): Diagnosis {
  const ordered = [...input.samples].sort((a, b) => a.t - b.t);
  const first = ordered[0];
  const last = ordered.at(-1);
  const window = mergeSamples(ordered);
  const wantsPath = Boolean(input.from) || Boolean(input.to);
  let path: string[] | null = null;
  let problem: Finding | null = null;
  if (wantsPath) {
    if (!input.from || !input.to) problem = pathProblem('a path needs both from and to', []);
    else {
      const r = findPath(input.topology, input.from, input.to);
      if (r.ok) path = r.path;
      else problem = pathProblem(r.error, r.suggestions);
    }
  }
  const { hops, findings } = judgeWindow(input.topology, window, path, ordered);
  const list =
    path !== null
      ? path.flatMap((id) => hops.get(id) ?? [])
      : [...hops.values()].filter((h) => h.status !== 'idle').sort(worstFirst);
  return {
    host: input.host,
    from: first ? Math.round(first.t - first.elapsedMs) : 0,
    to: last ? Math.round(last.t) : 0,
    seconds: (window?.elapsedMs ?? 0) / 1000,
    path,
    hops: list,
    findings: (problem ? [...findings, problem] : findings).map(canonical),
  };
}
