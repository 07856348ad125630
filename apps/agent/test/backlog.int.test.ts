/**
 * The seed's bug, reproduced (design.md): RPS on the namespace-side veth, netdev_max_backlog=1,
 * a UDP flood from one CPU. The agent must show rx_dropped on that veth, tx_dropped on its peer,
 * softnet drops on the RPS target CPU and kfree_skb CPU_BACKLOG drops at enqueue_to_backlog.
 */
import { fileURLToPath } from 'node:url';
import { IFACE_COUNTER_INDEX as C, type Sample } from '@hopwatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentCollector, createAgentCollector } from '../src/collector.ts';
import { cleanupAll, instances, IS_ROOT, ipBatch, quiet, run, setSysctl, sh } from './support/netns.ts';

const S1 = 'hwt-ag-s1';
const S2 = 'hwt-ag-s2';
const FLOOD = fileURLToPath(new URL('./support/flood.mjs', import.meta.url));
const FLOOD_SECONDS = 2;
const SAMPLE_EVERY_MS = 500;
/** RPS steers vs2's packets to this CPU (mask 2); the flooder is pinned to CPU 0. */
const RPS_CPU = 1;

describe.skipIf(!IS_ROOT)('the seed bug: CPU backlog overflow behind RPS (root)', () => {
  let collector: AgentCollector;
  const restores: (() => void)[] = [];
  const samples: Sample[] = [];

  beforeAll(async () => {
    cleanupAll('hwt-ag-s');
    ipBatch('', [`netns add ${S1}`, `netns add ${S2}`]);
    ipBatch(S1, [`link add vs1 type veth peer name vs2 netns ${S2}`]);
    quiet(S1);
    quiet(S2);
    ipBatch(S1, ['addr add 10.254.0.1/24 dev vs1', 'link set vs1 up', 'link set lo up']);
    ipBatch(S2, ['addr add 10.254.0.2/24 dev vs2', 'link set vs2 up', 'link set lo up']);
    sh('ip', 'netns', 'exec', S2, 'sh', '-c', 'echo 2 > /sys/class/net/vs2/queues/rx-0/rps_cpus');
    collector = await createAgentCollector({ netnsGlob: 'hwt-ag-s*', intervalMs: SAMPLE_EVERY_MS });
    restores.push(setSysctl('net.core.netdev_max_backlog', '1'));
    const flood = run('ip', [
      'netns',
      'exec',
      S1,
      'taskset',
      '-c',
      '0',
      process.execPath,
      FLOOD,
      '10.254.0.2',
      '9999',
      String(FLOOD_SECONDS),
    ]);
    let done = false;
    void flood.then(() => (done = true));
    while (!done) {
      await new Promise((r) => setTimeout(r, SAMPLE_EVERY_MS));
      samples.push(await collector.sample());
    }
    // Drop events still in the kernel ring or the pipe (the reader pauses at its per-sample
    // budget) are counted by a later sample: sample on until one brings no new event.
    for (let settle = 0; settle < 20; settle++) {
      const s = await collector.sample();
      samples.push(s);
      if (s.tracing.lost === 0 && !s.drops.some((d) => d.reason === 'CPU_BACKLOG')) break;
      await new Promise((r) => setTimeout(r, SAMPLE_EVERY_MS));
    }
    const r = await flood;
    if (r.code !== 0) throw new Error(`flooder failed: ${r.stderr}`);
  }, 60_000);

  afterAll(async () => {
    for (const restore of restores.reverse()) restore();
    await collector?.close();
    cleanupAll('hwt-ag-s');
  });

  const sum = (f: (s: Sample) => number) => samples.reduce((a, s) => a + f(s), 0);

  it('SEED1: RPS is visible on the namespace-side veth (read through its namespace sysfs)', () => {
    expect(collector.topology().ifaces.find((i) => i.id === `${S2}/vs2`)!.rpsCpus).toBe('2');
    expect(samples[0]!.sysctls['net.core.netdev_max_backlog']).toBe(1);
  });

  it('SEED2: rx_dropped on the receiving veth, tx_dropped on its peer (one drop, counted twice)', () => {
    const rx = sum((s) => s.ifaces[`${S2}/vs2`]?.[C.rxDropped] ?? 0);
    const tx = sum((s) => s.ifaces[`${S1}/vs1`]?.[C.txDropped] ?? 0);
    expect(rx).toBeGreaterThan(100);
    expect(tx).toBe(rx);
  });

  it('SEED3: softnet drops on the RPS target CPU', () => {
    const dropped = sum((s) => s.softnet.find((c) => c.cpu === RPS_CPU)?.dropped ?? 0);
    const rx = sum((s) => s.ifaces[`${S2}/vs2`]?.[C.rxDropped] ?? 0);
    expect(dropped).toBeGreaterThanOrEqual(rx);
    expect(sum((s) => s.softnet.find((c) => c.cpu === RPS_CPU)?.receivedRps ?? 0)).toBeGreaterThan(0);
  });

  it('SEED4: kernel drop reason CPU_BACKLOG at enqueue_to_backlog, with lost events reported', () => {
    expect(samples.every((s) => s.tracing.state === 'on')).toBe(true);
    const backlog = sum((s) =>
      s.drops
        .filter((d) => d.reason === 'CPU_BACKLOG' && d.location === 'enqueue_to_backlog')
        .reduce((a, d) => a + d.count, 0),
    );
    const lost = sum((s) => s.tracing.lost);
    const rx = sum((s) => s.ifaces[`${S2}/vs2`]?.[C.rxDropped] ?? 0);
    expect(backlog).toBeGreaterThan(0);
    // Every backlog drop is either counted by reason or reported lost (overrun) — never silently missing.
    expect(backlog + lost).toBeGreaterThanOrEqual(rx);
    console.log(`seed reproduction: rx_dropped ${rx}, CPU_BACKLOG events ${backlog}, lost ${lost}`);
  });

  it('SEED5: closing the collector removes its tracefs instance', async () => {
    expect(instances()).toContain(`hopwatch-${process.pid}`);
    await collector.close();
    expect(instances().filter((i) => i.startsWith(`hopwatch-${process.pid}`))).toEqual([]);
  });
});
