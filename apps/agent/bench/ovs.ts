/**
 * npm run bench:agent:ovs (root, under flock /tmp/hopwatch-root.lock): what Open vSwitch costs
 * the agent (issue 11), as a delta. A private OVS (userspace datapath, in a throwaway namespace
 * `hwbench-ovs`) with br-int + br-ex, 100 veth ports on br-int (VLAN tags), 10 patch pairs and
 * 200 OpenFlow drop flows. The collector samples that namespace at 1 Hz for BENCH_SECONDS twice:
 * without OVS (`ovsdb: null`) and with it (monitor, datapath/coverage every 5 s, flows on
 * change or every 30 s); CPU of the process and its children per sample. Then the flow reading on
 * its own: `ovs-ofctl dump-flows` of br-int and parsing it. Everything is removed at the end.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ofctl, startOvs, stopOvs, vsctl } from '@hopwatch/lab/ovs/daemon';
import { createCollector } from '../src/collector.ts';
import { parseDropFlows } from '../src/ovs/parse.ts';
import { cpuWithChildrenMs } from './cpu.ts';

const NS = 'hwbench-ovs';
const PORTS = 100;
const PATCHES = 10;
const DROP_FLOWS = 200;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const FLOW_READS = 20;

const sh = (cmd: string, args: string[], input?: string) =>
  execFileSync(cmd, args, {
    input,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  }).toString();
const total = (c: { selfMs: number; childrenMs: number }) => c.selfMs + c.childrenMs;

async function build(dir: string): Promise<void> {
  sh('ip', ['netns', 'add', NS]);
  const lines = ['link set dev lo up'];
  for (let k = 0; k < PORTS; k++)
    lines.push(
      `link add name ob${k} type veth peer name op${k}`,
      `link set dev ob${k} up`,
      `link set dev op${k} up`,
    );
  sh('ip', ['-n', NS, '-b', '-'], `${lines.join('\n')}\n`);
  await startOvs({ dir, netns: NS });
  const args: string[] = ['add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev'];
  args.push('--', 'add-br', 'br-ex', '--', 'set', 'bridge', 'br-ex', 'datapath_type=netdev');
  for (let k = 0; k < PORTS; k++) args.push('--', 'add-port', 'br-int', `ob${k}`, `tag=${1 + (k % 10)}`);
  for (let k = 0; k < PATCHES; k++) {
    args.push(
      '--',
      'add-port',
      'br-int',
      `pi${k}`,
      '--',
      'set',
      'interface',
      `pi${k}`,
      'type=patch',
      `options:peer=pe${k}`,
    );
    args.push(
      '--',
      'add-port',
      'br-ex',
      `pe${k}`,
      '--',
      'set',
      'interface',
      `pe${k}`,
      'type=patch',
      `options:peer=pi${k}`,
    );
  }
  await vsctl(dir, args);
  const flows = Array.from(
    { length: DROP_FLOWS },
    (_, k) => `table=${k % 4},priority=${100 + k},udp,nw_dst=10.${k >> 8}.${k & 255}.1,actions=drop`,
  );
  for (const f of flows) await ofctl(dir, 'add-flow', 'br-int', [f]);
}

async function run(
  ovsdb: string | null,
): Promise<{ perSampleMs: number; samples: number; ovsHops: number; healthReads: number }> {
  const c = await createCollector({ netnsGlob: NS, tracing: false, ovsdb, log: () => {} });
  try {
    const before = cpuWithChildrenMs();
    let due = performance.now();
    let healthReads = 0;
    for (let k = 0; k < SECONDS; k++) {
      due += 1000;
      await sleep(Math.max(0, due - performance.now()));
      if ((await c.sample()).ovs?.datapaths) healthReads++;
    }
    const after = cpuWithChildrenMs();
    const ovsHops = c.topology().ifaces.filter((i) => i.ovs !== undefined).length;
    return { perSampleMs: (total(after) - total(before)) / SECONDS, samples: SECONDS, ovsHops, healthReads };
  } finally {
    await c.close();
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench:agent:ovs needs root (a namespace and a private Open vSwitch)');
    process.exitCode = 1;
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'hwbench-ovs-'));
  const cleanup = async () => {
    await stopOvs(dir);
    try {
      sh('ip', ['netns', 'del', NS]);
    } catch {}
    rmSync(dir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => void cleanup().then(() => process.exit(130)));
  try {
    await build(dir);
    const sock = `unix:${join(dir, 'db.sock')}`;
    const without = await run(null);
    const withOvs = await run(sock);
    // The flow reading alone: what one look at br-int's 200 drop flows costs.
    const c0 = cpuWithChildrenMs();
    const t0 = performance.now();
    let parseMs = 0;
    for (let k = 0; k < FLOW_READS; k++) {
      const text = await ofctl(dir, 'dump-flows', 'br-int', ['--names']);
      const p0 = performance.now();
      parseDropFlows(text);
      parseMs += performance.now() - p0;
    }
    const wallMs = (performance.now() - t0) / FLOW_READS;
    const cpuMs = (total(cpuWithChildrenMs()) - total(c0)) / FLOW_READS;
    console.log(
      `bench:agent:ovs — ${PORTS} OVS ports, ${PATCHES} patch pairs, ${DROP_FLOWS} drop flows, ${SECONDS} samples each`,
    );
    console.log(`  without OVS:  ${without.perSampleMs.toFixed(2)} ms CPU per sample (agent + children)`);
    console.log(
      `  with OVS:     ${withOvs.perSampleMs.toFixed(2)} ms CPU per sample (${withOvs.ovsHops} hops with OVS facts, ${withOvs.healthReads} datapath readings), delta ${(withOvs.perSampleMs - without.perSampleMs).toFixed(2)} ms`,
    );
    console.log(
      `  flows:        one dump-flows of br-int ${wallMs.toFixed(1)} ms wall, ${cpuMs.toFixed(1)} ms CPU (ovs-ofctl + us), parse ${(parseMs / FLOW_READS).toFixed(2)} ms`,
    );
  } finally {
    await cleanup();
  }
}

await main();
