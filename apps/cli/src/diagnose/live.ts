import { setTimeout as sleep } from 'node:timers/promises';
import { createCollector } from '@hopwatch/agent';
import type { Sample, Topology } from '@hopwatch/shared';
import { type Capture, CaptureError } from './source.ts';

export interface LiveOptions {
  seconds: number;
  intervalMs: number;
  /** The agent's --ovsdb (undefined: the standard socket where it exists). */
  ovsdb?: string;
  /** Checked against the topology before the window starts: a message stops it (exit 2). */
  validate?: (topology: Topology) => string | null;
  onTick?: (done: number, total: number) => void;
  /** Ends the window early; the samples taken so far are judged. */
  signal?: AbortSignal;
}

/**
 * The agent's sampleWindow, with one step in front: the collector's topology exists as soon as
 * it is created, so a mistyped --from/--to is refused now, not after the whole window. Same
 * loop as sampleWindow otherwise: fixed-rate intervals, the topology after the last sample.
 */
export async function sampleLive(opts: LiveOptions): Promise<Capture> {
  const collector = await createCollector({
    intervalMs: opts.intervalMs,
    ...(opts.ovsdb !== undefined ? { ovsdb: opts.ovsdb } : {}),
  });
  try {
    const problem = opts.validate?.(collector.topology()) ?? null;
    if (problem !== null) throw new CaptureError(problem);
    const total = Math.max(1, Math.round((opts.seconds * 1000) / opts.intervalMs));
    const samples: Sample[] = [];
    let due = performance.now();
    for (let i = 0; i < total && !opts.signal?.aborted; i++) {
      due += opts.intervalMs;
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
