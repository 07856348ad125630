/**
 * npm run bench:agent (root, under flock /tmp/hopwatch-root.lock): 100 namespaces, ~1000
 * interfaces; the collector at 1 Hz for ~30 s; CPU ms per sample (this process + every child it
 * spawned, see cpu.ts), RSS; then, in the same run, the script an operator would write
 * (`ip -n NS -s -j link` for every namespace) for comparison. Targets: ≤ 10 ms CPU per sample,
 * ≤ 120 MB RSS. Everything it builds is removed at the end, also on failure or Ctrl-C.
 */
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AgentCollector, createAgentCollector } from '../src/collector.ts';
import { cpuWithChildrenMs, liveChildrenMemoryMb } from './cpu.ts';
import { BENCH_NS, buildLab, destroyLab, nsName } from './lab.ts';

const NAMESPACES = 100;
/** 4 pairs inside + lo + the host pair's end = 10 per namespace, 1000 in namespaces, +100 on the host. */
const PAIRS_PER_NS = 4;
const SECONDS = 30;
const WARMUP_SAMPLES = 3;
/**
 * Interfaces just brought up chatter for a while (IPv6 DAD, router solicitations, MLD reports),
 * which moves counters in every namespace and fires address events. That phase is measured and
 * reported on its own; the target applies to the steady state after it.
 */
const SETTLE_SAMPLES = 30;
const INTERVAL_MS = 1000;
const OPERATOR_SWEEPS = 5;
const TARGET_CPU_MS = 10;
const TARGET_RSS_MB = 120;

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const total = (c: { selfMs: number; childrenMs: number }) => c.selfMs + c.childrenMs;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench:agent needs root (it builds 100 network namespaces)');
    process.exitCode = 2;
    return;
  }
  destroyLab();
  const baselineRss = process.memoryUsage().rss;
  let t = performance.now();
  buildLab(NAMESPACES, PAIRS_PER_NS);
  console.log(`built ${NAMESPACES} namespaces in ${fmt((performance.now() - t) / 1000)} s`);

  let collector: AgentCollector | null = null;
  try {
    const c0 = cpuWithChildrenMs();
    t = performance.now();
    collector = await createAgentCollector({
      netnsGlob: `${BENCH_NS}*,@host`,
      intervalMs: INTERVAL_MS,
      log: () => {},
    });
    const c1 = cpuWithChildrenMs();
    const topo = collector.topology();
    console.log(
      `agent start (holders, discovery of ${topo.namespaces.length} namespaces / ${topo.ifaces.length} interfaces, ` +
        `tracefs): ${fmt(performance.now() - t, 0)} ms wall, ${fmt(total(c1) - total(c0), 0)} ms CPU ` +
        `(${fmt(c1.selfMs - c0.selfMs, 0)} self + ${fmt(c1.childrenMs - c0.childrenMs, 0)} children)`,
    );

    // Phase 1: the lab's own start-up chatter, sampled at 1 Hz like the steady state after it.
    const s0 = cpuWithChildrenMs();
    let busy = 0;
    for (let i = 0; i < SETTLE_SAMPLES; i++) {
      await sleep(INTERVAL_MS);
      busy += Object.keys((await collector.sample()).ifaces).length;
    }
    const s1 = cpuWithChildrenMs();
    console.log(
      `first ${SETTLE_SAMPLES} s after the lab came up (IPv6 DAD/RS/MLD chatter on every new interface, ` +
        `${fmt(busy / SETTLE_SAMPLES, 0)} busy interfaces per sample): ${fmt((total(s1) - total(s0)) / SETTLE_SAMPLES, 2)} ms CPU per sample`,
    );

    let start = cpuWithChildrenMs();
    let rssMax = process.memoryUsage().rss;
    const walls: number[] = [];
    let measured = 0;
    let rows = 0;
    let dropEvents = 0;
    for (let i = 0; i < SECONDS; i++) {
      await sleep(INTERVAL_MS);
      if (i === WARMUP_SAMPLES) start = cpuWithChildrenMs();
      const w = performance.now();
      const sample = await collector.sample();
      walls.push(performance.now() - w);
      if (i >= WARMUP_SAMPLES) {
        measured++;
        rows += Object.keys(sample.ifaces).length;
        dropEvents += sample.drops.reduce((a, d) => a + d.count, 0);
      }
      rssMax = Math.max(rssMax, process.memoryUsage().rss);
    }
    const end = cpuWithChildrenMs();
    const perSample = (total(end) - total(start)) / measured;
    walls.sort((a, b) => a - b);
    console.log(
      `steady state, ${measured} samples at 1 Hz: ` +
        `${fmt(perSample, 2)} ms CPU per sample (${fmt((end.selfMs - start.selfMs) / measured, 2)} agent process + ` +
        `${fmt((end.childrenMs - start.childrenMs) / measured, 2)} children: tc reader, ip monitor, trace_pipe reader, holders) ` +
        `[target ≤ ${TARGET_CPU_MS}]`,
    );
    console.log(
      `  sample() wall: median ${fmt(walls[walls.length >> 1]!)} ms, max ${fmt(walls.at(-1)!)} ms; ` +
        `${fmt(rows / measured, 0)} non-idle interface rows and ${fmt(dropEvents / measured, 0)} kfree_skb events per sample`,
    );
    const children = liveChildrenMemoryMb();
    console.log(
      `  RSS: agent process max ${fmt(rssMax / 2 ** 20, 0)} MB, at the end ${fmt(process.memoryUsage().rss / 2 ** 20, 0)} MB ` +
        `[target ≤ ${TARGET_RSS_MB}] (the tsx runtime with the agent loaded, before any work: ${fmt(baselineRss / 2 ** 20, 0)} MB); ` +
        `its ${children.count} child ` +
        `processes (holders, ip monitor, tc, trace_pipe reader) ${fmt(children.pss, 0)} MB PSS (${fmt(children.rss, 0)} MB RSS)`,
    );

    const d0 = cpuWithChildrenMs();
    t = performance.now();
    await collector.discover();
    const d1 = cpuWithChildrenMs();
    console.log(
      `one full rediscovery, discover(): ${fmt(total(d1) - total(d0), 0)} ms CPU, ${fmt(performance.now() - t, 0)} ms wall ` +
        `(the safety net re-probes every namespace once per 15 minutes, a few per sample, inside the figure above)`,
    );
    await collector.close();
    collector = null;

    // The operator's script: for ns in $(ip netns); do ip -n $ns -s -j link; done
    const names = Array.from({ length: NAMESPACES }, (_, i) => nsName(i));
    const o0 = cpuWithChildrenMs();
    t = performance.now();
    for (let s = 0; s < OPERATOR_SWEEPS; s++) {
      spawnSync('ip', ['-s', '-j', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
      for (const n of names)
        spawnSync('ip', ['-n', n, '-s', '-j', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    }
    const o1 = cpuWithChildrenMs();
    const operator = (total(o1) - total(o0)) / OPERATOR_SWEEPS;
    console.log(
      `operator script (ip -n NS -s -j link for the host and each of ${NAMESPACES} namespaces), ${OPERATOR_SWEEPS} sweeps: ` +
        `${fmt(operator, 0)} ms CPU per sweep incl. children, ${fmt((performance.now() - t) / OPERATOR_SWEEPS, 0)} ms wall`,
    );
    console.log(`ratio: the collector costs 1/${fmt(operator / perSample, 0)} of the script per sweep`);
    if (perSample > TARGET_CPU_MS || rssMax / 2 ** 20 > TARGET_RSS_MB) process.exitCode = 1;
  } finally {
    await collector?.close();
    destroyLab();
  }
}

process.once('SIGINT', () => {
  destroyLab();
  process.exit(130);
});
await main();
