import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Event-loop delay is reported per window of this length (the last complete one). */
export const LOOP_DELAY_WINDOW_MS = 10_000;

export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * How late the hub's event loop runs: every frame an agent sends waits at least this long before
 * the hub reads it, so it is the hub's own share of agent→browser latency (bench:hub reports it
 * beside the end-to-end figure, which also contains the simulators' scheduling).
 */
export function startLoopDelayMonitor() {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let last: LoopDelay = { p50Ms: 0, p99Ms: 0, maxMs: 0 };
  const timer = setInterval(() => {
    last = { p50Ms: h.percentile(50) / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 };
    h.reset();
  }, LOOP_DELAY_WINDOW_MS);
  timer.unref();
  return {
    last: () => last,
    stop() {
      clearInterval(timer);
      h.disable();
    },
  };
}
