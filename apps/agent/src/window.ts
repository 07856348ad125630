/**
 * Collectors that live for one command: `hopwatch agent --once` (one interval) and the window
 * `hopwatch diagnose` samples (N seconds). The streaming agent is stream/agent.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sample, Topology } from '@hopwatch/shared';
import { createCollector } from './collector.ts';
import type { AgentOptions } from './options.ts';
import { resolveOptions } from './options.ts';

/** One topology and one sample over one interval (default 1 s): `hopwatch agent --once`. */
export async function snapshotOnce(opts?: AgentOptions): Promise<{ topology: Topology; sample: Sample }> {
  const collector = await createCollector(opts);
  try {
    await sleep(resolveOptions(opts).intervalMs);
    const sample = await collector.sample();
    return { topology: collector.topology(), sample };
  } finally {
    await collector.close();
  }
}

/**
 * `seconds` worth of samples at the interval, for `hopwatch diagnose`. The topology returned is
 * the one after the last sample (sample() refreshes it on change). An aborted window returns the
 * samples taken so far.
 */
export async function sampleWindow(
  opts: AgentOptions & {
    seconds: number;
    onTick?: (done: number, total: number) => void;
    signal?: AbortSignal;
  },
): Promise<{ topology: Topology; samples: Sample[] }> {
  const { intervalMs } = resolveOptions(opts);
  const total = Math.max(1, Math.round((opts.seconds * 1000) / intervalMs));
  const collector = await createCollector(opts);
  const samples: Sample[] = [];
  try {
    let due = performance.now();
    for (let i = 0; i < total && !opts.signal?.aborted; i++) {
      due += intervalMs;
      await sleep(Math.max(0, due - performance.now()), undefined, { signal: opts.signal }).catch(() => {});
      if (opts.signal?.aborted) break;
      samples.push(await collector.sample());
      opts.onTick?.(samples.length, total);
    }
    return { topology: collector.topology(), samples };
  } finally {
    await collector.close();
  }
}
