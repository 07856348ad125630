import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { SampleSchema, TopologySchema } from '@hopwatch/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AgentCollector, createAgentCollector } from '../src/collector.ts';
import type { Runner } from '../src/discovery/probe.ts';
import { FIXTURES, fixture } from './support/fixtures.ts';

/**
 * The whole collector on a checked-in tree of real kernel output (node_exporter style): the host
 * plus one unnamed namespace (pid 4242, the captured hwt-ag-xc), `ip` answered from fixtures.
 */
const runner: Runner = async (cmd, args) => {
  const file =
    cmd === 'nsenter' && args[0] === '--net=/proc/4242/ns/net'
      ? 'hwt-ag-xc'
      : cmd === 'ip' && args[0] === '-j'
        ? 'host'
        : null;
  if (file === null) return { code: 1, stdout: '', stderr: `unexpected command ${cmd} ${args.join(' ')}` };
  return { code: 0, stdout: fixture(`ip/${file}.batch.json`), stderr: '' };
};

function edit(path: string, from: string | RegExp, to: string): void {
  writeFileSync(path, readFileSync(path, 'utf8').replace(from, to));
}

describe('collector on a fixture tree', () => {
  let root: string;
  let collector: AgentCollector;
  const logs: string[] = [];

  beforeEach(async () => {
    root = mkdtempSync(`${tmpdir()}/hwt-ag-tree-`);
    cpSync(`${FIXTURES}/tree`, root, { recursive: true, verbatimSymlinks: true });
    collector = await createAgentCollector(
      {
        procRoot: `${root}/proc`,
        sysRoot: `${root}/sys`,
        host: 'fixture-host',
        log: (l, m) => logs.push(`${l}: ${m}`),
      },
      { run: runner, netnsDir: `${root}/no-netns`, live: false },
    );
  });
  afterEach(async () => {
    await collector.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('COL1: discovers the host and an unnamed namespace (ns-<inode>) with RPS read through its /proc/PID/root/sys (a holder on a live host)', () => {
    const topo = collector.topology();
    expect(TopologySchema.safeParse(topo).success).toBe(true);
    expect(topo.host).toBe('fixture-host');
    expect(topo.namespaces.map((n) => n.name)).toEqual(['', 'ns-4026532315']);
    const hv0 = topo.ifaces.find((i) => i.id === 'ns-4026532315/hv0')!;
    expect(hv0).toMatchObject({ rpsCpus: '2', peer: 'hwtagh0', qdisc: 'tbf' });
    expect(topo.ifaces.find((i) => i.id === 'eth0')!.rpsCpus).toBeNull();
  });

  it('COL2: a sample carries deltas of both namespaces, softnet, SNMP and sysctls', async () => {
    edit(`${root}/proc/4242/net/dev`, /hv0:\s+0\s+0\s+0\s+0/, 'hv0:     500       5    0    3');
    edit(`${root}/proc/self/net/snmp`, /^(Udp: )(\d+) (\d+)/m, 'Udp: $2 9999');
    edit(`${root}/proc/self/net/dev`, /eth0:\s+(\d+)/, 'eth0: 999999999');
    edit(`${root}/proc/net/softnet_stat`, /^0018cb01 00002ae8/m, '0018cb11 00002af0');
    const sample = await collector.sample();
    expect(SampleSchema.safeParse(sample).success).toBe(true);
    expect(sample.ifaces['ns-4026532315/hv0']).toEqual([500, 5, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Object.keys(sample.ifaces).sort()).toEqual(['eth0', 'ns-4026532315/hv0']);
    expect(sample.softnet.find((s) => s.cpu === 1)).toMatchObject({ processed: 0x10, dropped: 8 });
    expect(sample.snmp['']!['Udp.NoPorts']).toBeGreaterThan(0);
    expect(sample.sysctls['net.core.netdev_max_backlog']).toBe(1000);
    expect(sample.tracing.state).toBe('off');
  });

  it('COL5: SNMP of a namespace whose interfaces are idle is read every 5th sample (COL9), nothing lost', async () => {
    edit(`${root}/proc/self/net/snmp`, /^(Udp: )(\d+) (\d+)/m, 'Udp: $2 9999');
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) seen.push((await collector.sample()).snmp['']?.['Udp.NoPorts'] ?? 0);
    expect(seen.filter((n) => n > 0)).toHaveLength(1);
    expect(seen.reduce((a, b) => a + b)).toBe(
      9999 - Number(/^Udp: \d+ (\d+)/m.exec(fixture('tree/proc/self/net/snmp'))![1]),
    );
  });

  it('COL3: an interface renamed between discovery and sample is logged and skipped, not a crash', async () => {
    edit(`${root}/proc/4242/net/dev`, 'hv0:', 'hv9:');
    const sample = await collector.sample();
    expect(sample.ifaces['ns-4026532315/hv9']).toBeUndefined();
    expect(SampleSchema.safeParse(sample).success).toBe(true);
  });

  it('COL4: a namespace whose process vanished is dropped from the topology, the host goes on', async () => {
    rmSync(`${root}/proc/4242`, { recursive: true });
    await collector.discover();
    expect(collector.topology().namespaces.map((n) => n.name)).toEqual(['']);
    const sample = await collector.sample();
    expect(SampleSchema.safeParse(sample).success).toBe(true);
  });

  /** Another collector on the same tree with other options; `calls` counts `ip` runs. */
  async function another(opts: Parameters<typeof createAgentCollector>[0]) {
    const calls: string[] = [];
    const counting: Runner = (cmd, args, stdin) => {
      calls.push(`${cmd} ${args.join(' ')}`);
      return runner(cmd, args, stdin);
    };
    const c = await createAgentCollector(
      {
        procRoot: `${root}/proc`,
        sysRoot: `${root}/sys`,
        host: 'fixture-host',
        log: (l, m) => logs.push(`${l}: ${m}`),
        ...opts,
      },
      { run: counting, netnsDir: `${root}/no-netns`, live: false },
    );
    return { c, calls };
  }

  it('SEC2: over the namespace budget the unnamed namespace goes first, logged, counted in topology.truncated', async () => {
    const { c } = await another({ maxNamespaces: 1 });
    try {
      const topo = c.topology();
      expect(topo.namespaces.map((n) => n.name)).toEqual(['']);
      expect(topo.truncated).toEqual({ namespaces: 1, ifaces: 0, routes: 0, addresses: 0 });
      expect(TopologySchema.safeParse(topo).success).toBe(true);
      expect(logs.join('\n')).toMatch(/over the budget of 1 \(--max-netns\): 1 not watched/);
    } finally {
      await c.close();
    }
  });

  it('SEC2: a namespace over the per-namespace interface budget is left out before any ip runs', async () => {
    const { c, calls } = await another({ maxNsIfaces: 4 });
    try {
      // The host has 5 interfaces in the tree; the unnamed namespace 3.
      expect(c.topology().namespaces.map((n) => n.name)).toEqual(['ns-4026532315']);
      expect(c.topology().truncated).toMatchObject({ namespaces: 1, ifaces: 5 });
      expect(calls.some((c) => c.startsWith('ip -j'))).toBe(false);
      expect(logs.join('\n')).toMatch(
        /the host namespace has more than 4 interfaces, over the per-namespace budget/,
      );
      expect(SampleSchema.safeParse(await c.sample()).success).toBe(true);
    } finally {
      await c.close();
    }
  });

  it('RPS1: a changed rps_cpus shows in the topology within the refresh period (round-robin over the namespaces)', async () => {
    const rps = `${root}/proc/4242/root/sys/class/net/hv0/queues/rx-0/rps_cpus`;
    const hv0 = () => collector.topology().ifaces.find((i) => i.id === 'ns-4026532315/hv0')?.rpsCpus;
    for (let i = 0; i < 3; i++) await collector.sample(); // every namespace refreshed (and kept) once
    expect(hv0()).toBe('2');
    writeFileSync(rps, '1\n');
    for (let i = 0; i < 3; i++) await collector.sample();
    expect(hv0()).toBe('1');
    writeFileSync(rps, '0\n');
    for (let i = 0; i < 3; i++) await collector.sample();
    expect(hv0()).toBeNull();
  });

  it('RPS2: after two interfaces swap names, the refresh reads each name’s own rps_cpus, not the file its kept descriptor followed', async () => {
    let swapped = false;
    const swapping: Runner = async (cmd, args, stdin) => {
      const r = await runner(cmd, args, stdin);
      if (!swapped || cmd !== 'nsenter') return r;
      const stdout = r.stdout
        .replaceAll('"ifname":"eth0"', '"ifname":"@"')
        .replaceAll('"ifname":"hv0"', '"ifname":"eth0"')
        .replaceAll('"ifname":"@"', '"ifname":"hv0"');
      return { ...r, stdout };
    };
    const c = await createAgentCollector(
      {
        procRoot: `${root}/proc`,
        sysRoot: `${root}/sys`,
        host: 'fixture-host',
        log: (l, m) => logs.push(`${l}: ${m}`),
      },
      { run: swapping, netnsDir: `${root}/no-netns`, live: false },
    );
    try {
      const net = `${root}/proc/4242/root/sys/class/net`;
      const rpsOf = (name: string) =>
        c.topology().ifaces.find((i) => i.id === `ns-4026532315/${name}`)?.rpsCpus;
      for (let i = 0; i < 3; i++) await c.sample(); // every namespace refreshed (and kept) once
      expect(rpsOf('hv0')).toBe('2');
      expect(rpsOf('eth0')).toBeNull();
      // The kernel swaps the names: each sysfs directory (and the descriptors kept in it) goes with its device.
      renameSync(`${net}/hv0`, `${net}/tmp`);
      renameSync(`${net}/eth0`, `${net}/hv0`);
      renameSync(`${net}/tmp`, `${net}/eth0`);
      swapped = true;
      await c.discover();
      writeFileSync(`${net}/hv0/queues/rx-0/rps_cpus`, '1\n'); // the device now named hv0 (ifindex 2)
      for (let i = 0; i < 3; i++) await c.sample();
      expect(c.topology().ifaces.find((i) => i.id === 'ns-4026532315/hv0')?.ifindex).toBe(2);
      expect(rpsOf('hv0')).toBe('1');
      expect(rpsOf('eth0')).toBe('2');
    } finally {
      await c.close();
    }
  });

  it('SEC1: an rps_cpus that is a symlink (to a secret) is refused, logged, and left unknown', async () => {
    const secret = `${root}/secret`;
    writeFileSync(secret, 'HWSECRET-fixture\n', { mode: 0o600 });
    const rps = `${root}/proc/4242/root/sys/class/net/hv0/queues/rx-0/rps_cpus`;
    rmSync(rps);
    symlinkSync(secret, rps);
    const { c } = await another({});
    try {
      const hv0 = c.topology().ifaces.find((i) => i.id === 'ns-4026532315/hv0');
      expect(hv0?.rpsCpus).toBeNull();
      expect(JSON.stringify(c.topology())).not.toContain('HWSECRET');
      expect(logs.join('\n')).toMatch(/refused to read .*hv0\/queues\/rx-0\/rps_cpus: it is a symbolic link/);
    } finally {
      await c.close();
    }
  });
});
