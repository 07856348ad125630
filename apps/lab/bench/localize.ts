/**
 * `npm run bench:localize`: how small a loss hopwatch localises, and how fast.
 *
 * With the lab up, the backlog fault (RPS on qg-a1 → CPU 1) is swept over growing
 * net.core.netdev_max_backlog values at a fixed flood rate, which gives decreasing loss rates.
 * For each step: inject the fault, start the flood, and poll `hopwatch diagnose --json` with
 * short windows until it names R01 on hwlab-qrouter-a1/qg-a1 first among the loss findings (or
 * STEP_DEADLINE_MS passes). The loss rate of a step is measured from the kernel's own counters
 * (qg-a1 rx_dropped against what it received) over the whole step. Prints a table and the
 * smallest loss rate localised within the deadline (target: 0.01 %, the seed's level).
 * Runs as root under the shared lock (see package.json); cleans up with `lab down`.
 */
import { counterDelta, labCounters } from '../src/counters.ts';
import { labFault } from '../src/fault-apply.ts';
import { labDown, labUp } from '../src/lifecycle.ts';
import { SEED_HOP } from '../src/topology.ts';
import { startTraffic } from '../src/traffic.ts';
import { POLL_WINDOW_S, pollUntilFound, STEP_DEADLINE_MS } from './poll.ts';

const RATE_PPS = Number(process.env.BENCH_RATE ?? 20_000);
/** Growing backlog → shrinking loss at RATE_PPS (bursts of RATE_PPS/1000 per 1 ms tick). */
const MAX_BACKLOGS = (process.env.BENCH_BACKLOGS ?? '4,8,16,24,32,48,64').split(',').map(Number);
interface StepResult {
  maxBacklog: number;
  sent: number;
  dropped: number;
  lossRatio: number;
  foundMs: number | null;
  polls: number;
  lastFirst: string;
}

async function step(maxBacklog: number): Promise<StepResult> {
  const before = await labCounters();
  const t0 = performance.now();
  await labFault('backlog', SEED_HOP, { settings: { maxBacklog } });
  const traffic = startTraffic({ rate: RATE_PPS, seconds: 0 });
  const { foundMs, polls, lastFirst } = await pollUntilFound(t0, SEED_HOP, 'R01', SEED_HOP);
  // The loss is measured over a full deadline's worth of traffic, also when found early.
  const result = await traffic.stop();
  const qg = counterDelta(before, await labCounters()).get(SEED_HOP)!;
  const through = qg.rxPackets + qg.rxDropped;
  return {
    maxBacklog,
    sent: result.flood?.sent ?? 0,
    dropped: qg.rxDropped,
    lossRatio: through === 0 ? 0 : qg.rxDropped / through,
    foundMs,
    polls,
    lastFirst,
  };
}

const pct = (r: number) => `${(r * 100).toFixed(4)} %`;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench:localize needs root (the lab): skipped');
    return;
  }
  await labUp();
  console.log(
    `backlog fault on ${SEED_HOP}, RPS → CPU 1, flood ${RATE_PPS} pps × 1472 B; diagnose polled with ${POLL_WINDOW_S} s windows, deadline ${STEP_DEADLINE_MS / 1000} s\n`,
  );
  console.log(
    'netdev_max_backlog  sent      qg-a1 drops  loss        found after  polls  first loss finding',
  );
  const results: StepResult[] = [];
  try {
    for (const b of MAX_BACKLOGS) {
      const r = await step(b);
      results.push(r);
      console.log(
        `${String(r.maxBacklog).padEnd(20)}${String(r.sent).padEnd(10)}${String(r.dropped).padEnd(13)}${pct(r.lossRatio).padEnd(12)}${(r.foundMs === null ? 'not found' : `${(r.foundMs / 1000).toFixed(1)} s`).padEnd(13)}${String(r.polls).padEnd(7)}${r.lastFirst}`,
      );
    }
  } finally {
    await labDown();
  }
  const found = results.filter((r) => r.foundMs !== null && r.dropped > 0);
  const best = found.sort((a, b) => a.lossRatio - b.lossRatio)[0];
  console.log(
    best
      ? `\nsmallest loss localised to ${SEED_HOP} (R01) within ${STEP_DEADLINE_MS / 1000} s: ${pct(best.lossRatio)} (${best.dropped} drops, netdev_max_backlog ${best.maxBacklog}), found after ${(best.foundMs! / 1000).toFixed(1)} s (target 0.0100 %)`
      : '\nno loss rate was localised within the deadline',
  );
  const times = found.map((r) => r.foundMs!).sort((a, b) => a - b);
  if (times.length > 0) {
    console.log(
      `time from fault to finding: median ${(times[Math.floor(times.length / 2)]! / 1000).toFixed(1)} s, max ${(times.at(-1)! / 1000).toFixed(1)} s over ${times.length} localised steps`,
    );
  }
}

await main();
