/**
 * Each fault, checked at the kernel's own counters (no hopwatch judgement involved): the drops
 * appear where the fault is, in the counters the README says, and nowhere else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labFault } from '../src/fault-apply.ts';
import { labDown, labUp } from '../src/lifecycle.ts';
import { run } from '../src/run.ts';
import { readState } from '../src/state.ts';
import { labStatus } from '../src/status.ts';
import { VM_ADDR } from '../src/topology.ts';
import { startTraffic } from '../src/traffic.ts';
import {
  type Ctr,
  counterDelta,
  IS_ROOT,
  labCounters,
  readSysctlValue,
  softnetDropped,
} from './helpers/harness.ts';

async function during(opts: Parameters<typeof startTraffic>[0]) {
  const before = await labCounters();
  const sn0 = await softnetDropped();
  const result = await startTraffic(opts).done;
  const sn1 = await softnetDropped();
  const d = counterDelta(before, await labCounters());
  const softnet = new Map([...sn1].map(([cpu, v]) => [cpu, v - (sn0.get(cpu) ?? 0)]));
  return { result, d, softnet };
}

const dropsOutside = (d: Map<string, Ctr>, allowed: string[]) =>
  [...d].filter(([id, c]) => !allowed.includes(id) && (c.rxDropped > 0 || c.txDropped > 0));

describe.skipIf(!IS_ROOT)('lab faults at the kernel counters (root)', () => {
  let backlogBefore = '';
  beforeAll(async () => {
    backlogBefore = await readSysctlValue('net.core.netdev_max_backlog');
    await labUp();
  });
  afterAll(async () => {
    await labDown();
  });

  it('backlog on qg-a1: rx_dropped there, tx_dropped on its peer, softnet drops on CPU 1, nothing else', async () => {
    await labFault('backlog');
    expect(await readSysctlValue('net.core.netdev_max_backlog')).toBe('8');
    const { result, d, softnet } = await during({ rate: 20_000, seconds: 4 });
    const qg = d.get('hwlab-qrouter-a1/qg-a1')!;
    console.log(
      `backlog qg-a1: sent ${result.flood!.sent}, lost ${result.flood!.lost}, qg-a1 rx_dropped ${qg.rxDropped}, softnet ${JSON.stringify([...softnet])}`,
    );
    expect(qg.rxDropped).toBeGreaterThan(0);
    expect(d.get('hwlab-node/tap-qg-a1')!.txDropped).toBe(qg.rxDropped);
    expect(softnet.get(1)).toBeGreaterThanOrEqual(qg.rxDropped);
    expect(dropsOutside(d, ['hwlab-qrouter-a1/qg-a1', 'hwlab-node/tap-qg-a1'])).toEqual([]);
    expect(result.flood!.lost).toBe(qg.rxDropped);
  });

  it("backlog on the VM's eth0 (traffic to the VM)", async () => {
    await labFault('backlog', 'hwlab-vm1/eth0');
    const { d } = await during({ rate: 20_000, seconds: 4, to: VM_ADDR });
    const eth0 = d.get('hwlab-vm1/eth0')!;
    expect(eth0.rxDropped).toBeGreaterThan(0);
    expect(dropsOutside(d, ['hwlab-vm1/eth0', 'hwlab-node/tap-vm1'])).toEqual([]);
  });

  it('mtu on qg-a1: every full-size frame dropped at qg-a1 (rx) / tap-qg-a1 (tx), softnet untouched', async () => {
    await labFault('mtu');
    const { result, d, softnet } = await during({ rate: 1000, seconds: 1 });
    const sent = result.flood!.sent;
    expect(d.get('hwlab-qrouter-a1/qg-a1')!.rxDropped).toBe(sent);
    expect(d.get('hwlab-node/tap-qg-a1')!.txDropped).toBe(sent);
    expect(result.flood!.received).toBe(0);
    expect([...softnet.values()].every((v) => v === 0)).toBe(true);
    // Smaller packets still pass: it is the size, not the link.
    const small = await during({ rate: 1000, seconds: 1, size: 1000 });
    expect(small.result.flood!.lost).toBe(0);
  });

  it('qdisc on tap-qg-a1: loss seen only by `tc -s qdisc`, no interface drop counter moves', async () => {
    await labFault('qdisc');
    const { result, d } = await during({ rate: 10_000, seconds: 2 });
    const tc = await run('tc', ['-n', 'hwlab-node', '-s', '-j', 'qdisc', 'show', 'dev', 'tap-qg-a1']);
    const q = (JSON.parse(tc.stdout) as { kind: string; drops: number }[])[0]!;
    expect(q.kind).toBe('tbf');
    expect(q.drops).toBeGreaterThan(0);
    expect(q.drops).toBe(result.flood!.lost);
    expect(dropsOutside(d, [])).toEqual([]);
  });

  it('down on qg-a1: nothing arrives, the bridge port is disabled', async () => {
    await labFault('down');
    const { result } = await during({ rate: 1000, seconds: 1 });
    expect(result.flood!.received).toBe(0);
    const port = await run('bridge', ['-n', 'hwlab-node', '-j', 'link', 'show', 'dev', 'tap-qg-a1']);
    expect((JSON.parse(port.stdout) as { state: string }[])[0]?.state).toBe('disabled');
  });

  it('a fault replaces the previous one, and none clears all and restores sysctls', async () => {
    await labFault('backlog');
    await labFault('qdisc', 'hwlab-node/phy-br-ex');
    const s = await labStatus();
    expect(s.fault).toMatchObject({ kind: 'qdisc', hop: 'hwlab-node/phy-br-ex' });
    expect(s.ifaces.filter((i) => i.rpsCpus !== null)).toEqual([]);
    expect(await readSysctlValue('net.core.netdev_max_backlog')).toBe(backlogBefore);
    await labFault('none');
    const after = await labStatus();
    expect(after.fault).toBeNull();
    expect(after.sysctls).toEqual([]);
    expect(
      after.ifaces.filter((i) => i.qdisc !== 'noqueue' || i.mtu !== 1500 || i.operstate !== 'up'),
    ).toEqual([]);
    expect((await readState()).sysctls).toEqual({});
  });

  it('none: 10 kpps for 5 s loses nothing anywhere', async () => {
    const { result, d, softnet } = await during({ rate: 10_000, seconds: 5 });
    expect(result.flood!.lost).toBe(0);
    expect(dropsOutside(d, [])).toEqual([]);
    expect([...softnet.values()].every((v) => v === 0)).toBe(true);
  });

  it('protocol faults: each leaves its mark in the kernel, `fault none` takes it back, `lab down` restores nf_conntrack_max after a crash', async () => {
    const sh = async (ns: string, cmd: string) =>
      (await run('ip', ['netns', 'exec', ns, 'sh', '-c', cmd])).stdout.trim();
    const ctMax = await readSysctlValue('net.netfilter.nf_conntrack_max');

    await labFault('firewall', 'hwlab-vm1/eth0');
    expect(await sh('hwlab-vm1', 'nft list table inet hwlab_fault')).toContain('hwlab firewall fault');
    const fw = await during({ rate: 2000, seconds: 2, to: VM_ADDR });
    expect(fw.result.flood?.lost).toBeGreaterThan(0);

    await labFault('rpfilter');
    expect(await sh('hwlab-qrouter-a1', 'cat /proc/sys/net/ipv4/conf/all/rp_filter')).toBe('1');
    expect(await sh('hwlab-vm1', 'nft list tables')).toBe('');

    await labFault('noroute', 'hwlab-up/wan0');
    expect(await sh('hwlab-up', 'ip route show 10.10.0.0/24')).toBe('');
    expect(await sh('hwlab-qrouter-a1', 'cat /proc/sys/net/ipv4/conf/all/rp_filter')).toBe('0');

    await labFault('neigh');
    expect(await sh('hwlab-vm1', 'ip -o link show dev eth0')).toContain('NOARP');
    expect(await sh('hwlab-up', 'ip route show 10.10.0.0/24')).toContain('via 203.0.113.10');

    await labFault('noroute');
    expect(await sh('hwlab-qrouter-a1', 'ip route show default')).toBe('');
    expect(await sh('hwlab-vm1', 'ip -o link show dev eth0')).not.toContain('NOARP');

    await labFault('conntrack');
    expect(await readSysctlValue('net.netfilter.nf_conntrack_max')).toBe('64');
    expect(await sh('hwlab-qrouter-a1', 'ip route show 10.10.0.0/24')).toContain('dev qr-a1');
    const ct = await during({ rate: 2000, seconds: 2, flows: 400 });
    expect(ct.result.flood?.lost).toBeGreaterThan(0);
    // A crash now: nobody runs `fault none`; `lab down` (another process) puts the maximum back.
    await labDown();
    expect(await readSysctlValue('net.netfilter.nf_conntrack_max')).toBe(ctMax);
    await labUp();
  }, 90_000);
});
