// PLACEHOLDER signatures, to be replaced by the real implementation (issue 3). Callers may rely
// on these signatures; the bodies are deliberately trivial.
import type { Diagnosis, HopReport } from '../protocol/diagnosis.ts';
import type { Sample, Topology } from '../protocol/model.ts';

export { findPath, type PathResult } from './path.ts';
export { closestIfaces, resolveIface, type ResolveResult } from './closest.ts';

/** Sum the deltas of consecutive samples into one window (gauges: the latest value). */
export function mergeSamples(samples: readonly Sample[]): Sample | null {
  return samples.at(-1) ?? null;
}

/** Every interface's report for one window. */
export function localize(
  topology: Topology,
  _window: Sample | null,
  _path: readonly string[] | null = null,
): Map<string, HopReport> {
  return new Map(
    topology.ifaces.map((i) => [
      i.id,
      {
        id: i.id,
        kind: i.kind,
        netns: i.netns,
        name: i.name,
        status: 'idle',
        pathIndex: null,
        rxPackets: 0,
        txPackets: 0,
        rxDropped: 0,
        txDropped: 0,
        drops: 0,
        lossRatio: 0,
        rules: [],
      },
    ]),
  );
}

export interface DiagnoseInput {
  host: string;
  topology: Topology;
  samples: readonly Sample[];
  from?: string | null;
  to?: string | null;
}

/** `hopwatch diagnose --json` and the hub's diagnosis route: the same object from the same code. */
export function diagnose(input: DiagnoseInput): Diagnosis {
  const first = input.samples[0];
  const last = input.samples.at(-1);
  return {
    host: input.host,
    from: first ? first.t - first.elapsedMs : 0,
    to: last?.t ?? 0,
    seconds: input.samples.reduce((s, x) => s + x.elapsedMs, 0) / 1000,
    path: null,
    hops: [...localize(input.topology, mergeSamples(input.samples)).values()],
    findings: [],
  };
}
