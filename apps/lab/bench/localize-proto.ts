/**
 * The second half of `npm run bench:localize` (issue 10): for each protocol fault (drops inside a
 * namespace: firewall, conntrack, rp_filter, no route, neighbour), the time from injecting it to
 * `hopwatch diagnose --json` naming the right rule on the right hop first among the loss
 * findings, and, where the fault has a knob that sets how much it drops (the firewall's share, the
 * number of flows over the conntrack maximum), the smallest drop rate found within 10 s. The
 * drop rate of a step is the lab traffic's own count (sent − received) over the whole step.
 * Root, under the shared lock; cleans up with `lab down`.
 */
import type { FaultSettings } from '../src/faults.ts';
import { labFault } from '../src/fault-apply.ts';
import { labDown, labUp } from '../src/lifecycle.ts';
import type { FaultKind } from '../src/state.ts';
import { ROUTER_GW_ADDR, SEED_HOP, VM_ADDR } from '../src/topology.ts';
import { startTraffic, type TrafficOptions } from '../src/traffic.ts';
import { POLL_WINDOW_S, pollUntilFound, STEP_DEADLINE_MS } from './poll.ts';

const RATE_PPS = Number(process.env.BENCH_RATE ?? 20_000);
const VM = 'hwlab-vm1/eth0';

interface Step {
  kind: Exclude<FaultKind, 'none'>;
  hop: string;
  rule: string;
  /** The path's end the diagnose asks about. */
  to: string;
  traffic: TrafficOptions;
  settings?: Partial<FaultSettings>;
  /** The knob in words, for the table. */
  knob: string;
}

const ALL_STEPS: Step[] = [
  ...[5, 1, 0.1, 0.03, 0.01].map((p) => ({
    kind: 'firewall' as const,
    hop: SEED_HOP,
    rule: 'R13',
    to: SEED_HOP,
    traffic: { rate: RATE_PPS, to: ROUTER_GW_ADDR },
    settings: { firewallPercent: p },
    knob: `drop ${p} %`,
  })),
  // Flows beyond the 64 the table holds are dropped: (F − 64) / F of the traffic.
  ...[400, 80, 66].map((flows) => ({
    kind: 'conntrack' as const,
    hop: SEED_HOP,
    rule: 'R12',
    to: SEED_HOP,
    traffic: { rate: 2000, to: ROUTER_GW_ADDR, flows },
    knob: `${flows} flows / max 64`,
  })),
  {
    kind: 'rpfilter',
    hop: SEED_HOP,
    rule: 'R11',
    to: SEED_HOP,
    traffic: { rate: 2000 },
    knob: 'all traffic',
  },
  {
    kind: 'noroute',
    hop: SEED_HOP,
    rule: 'R16',
    to: VM,
    traffic: { rate: 2000, to: VM_ADDR },
    knob: 'all traffic to the VM',
  },
  {
    kind: 'neigh',
    hop: 'hwlab-qrouter-a1/qr-a1',
    rule: 'R15',
    to: VM,
    traffic: { rate: 2000, to: VM_ADDR },
    knob: 'all traffic to the VM',
  },
];

interface Result {
  step: Step;
  sent: number;
  lost: number;
  foundMs: number | null;
  polls: number;
  lastFirst: string;
}

/** BENCH_FAULTS=firewall,conntrack runs only those. */
const ONLY = process.env.BENCH_FAULTS?.split(',') ?? null;
const STEPS = ALL_STEPS.filter((s) => ONLY === null || ONLY.includes(s.kind));

async function run(step: Step): Promise<Result> {
  const t0 = performance.now();
  await labFault(step.kind, step.hop, step.settings ? { settings: step.settings } : {});
  const traffic = startTraffic({ ...step.traffic, seconds: 0 });
  const { foundMs, polls, lastFirst } = await pollUntilFound(t0, step.to, step.rule, step.hop);
  const r = await traffic.stop();
  return { step, sent: r.flood?.sent ?? 0, lost: r.flood?.lost ?? 0, foundMs, polls, lastFirst };
}

const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(4)} %`);

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench:localize (protocol faults) needs root (the lab): skipped');
    return;
  }
  await labUp();
  console.log(
    `\nprotocol faults: diagnose polled with ${POLL_WINDOW_S} s windows, deadline ${STEP_DEADLINE_MS / 1000} s\n`,
  );
  console.log(
    'fault      hop                       knob                    sent     lost     drop rate    found after  polls  first loss finding',
  );
  const results: Result[] = [];
  try {
    for (const s of STEPS) {
      const r = await run(s);
      results.push(r);
      console.log(
        `${s.kind.padEnd(11)}${s.hop.padEnd(26)}${s.knob.padEnd(24)}${String(r.sent).padEnd(9)}${String(r.lost).padEnd(9)}${pct(r.lost, r.sent).padEnd(13)}${(r.foundMs === null ? 'not found' : `${(r.foundMs / 1000).toFixed(1)} s`).padEnd(13)}${String(r.polls).padEnd(7)}${r.lastFirst}`,
      );
    }
  } finally {
    await labDown();
  }
  console.log('');
  for (const kind of [...new Set(STEPS.map((s) => s.kind))]) {
    const mine = results.filter((r) => r.step.kind === kind);
    const found = mine.filter((r) => r.foundMs !== null && r.lost > 0);
    const times = found.map((r) => r.foundMs!).sort((a, b) => a - b);
    const best = [...found].sort((a, b) => a.lost / a.sent - b.lost / b.sent)[0];
    console.log(
      `${kind.padEnd(10)} ${found.length}/${mine.length} found; time to finding ${times.length > 0 ? `median ${(times[Math.floor(times.length / 2)]! / 1000).toFixed(1)} s, max ${(times.at(-1)! / 1000).toFixed(1)} s` : '-'}; smallest drop rate found within ${STEP_DEADLINE_MS / 1000} s: ${best ? `${pct(best.lost, best.sent)} (${best.step.knob})` : '-'}`,
    );
  }
}

await main();
