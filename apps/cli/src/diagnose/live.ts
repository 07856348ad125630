import type { Sample, Topology } from '@hopwatch/shared';
import type { Capture } from './source.ts';

/** The agent's one-shot API as diagnose uses it (apps/agent `sampleWindow`). */
export interface SampleWindowOptions {
  seconds: number;
  intervalMs?: number;
  /** Called after every interval; the agent passes what it has so far. */
  onTick?: (tick: unknown) => void;
  signal?: AbortSignal;
}
type SampleWindow = (opts: SampleWindowOptions) => Promise<{ topology: Topology; samples: Sample[] }>;

/**
 * Loaded at run time, not at import: `hopwatch diagnose --input FILE` and `--help` work on any
 * machine, and the agent's dependencies (and its root checks) only load when sampling.
 */
export async function loadSampleWindow(): Promise<SampleWindow> {
  const agent = (await import('@hopwatch/agent')) as { sampleWindow?: unknown };
  if (typeof agent.sampleWindow !== 'function') {
    throw new Error('this build of @hopwatch/agent has no sampleWindow(); use --input FILE meanwhile');
  }
  return agent.sampleWindow as SampleWindow;
}

/** The topology a tick carries, when the agent reports one (to check --from/--to early). */
export function topologyOfTick(tick: unknown): Topology | null {
  if (typeof tick !== 'object' || tick === null || !('topology' in tick)) return null;
  const t = (tick as { topology: unknown }).topology;
  return typeof t === 'object' && t !== null && 'ifaces' in t ? (t as Topology) : null;
}

export async function sampleLive(opts: SampleWindowOptions): Promise<Capture> {
  const sampleWindow = await loadSampleWindow();
  const { topology, samples } = await sampleWindow(opts);
  return { topology, samples };
}
