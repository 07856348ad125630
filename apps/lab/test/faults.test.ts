import { describe, expect, it } from 'vitest';
import {
  checkHop,
  DEFAULT_FAULT_SETTINGS,
  DEFAULT_HOP,
  faultPlan,
  hopsFor,
  INBOUND_RECEIVERS,
  INBOUND_SENDERS,
  rpsMask,
  rpsTargetCpu,
} from '../src/faults.ts';
import { LAB_IFACE_IDS } from '../src/topology.ts';

describe('lab faults', () => {
  it('knows which veth ends receive and send inbound traffic', () => {
    expect(INBOUND_RECEIVERS).toEqual([
      'hwlab-node/eno1',
      'hwlab-node/int-br-ex',
      'hwlab-qrouter-a1/qg-a1',
      'hwlab-node/tap-qr-a1',
      'hwlab-vm1/eth0',
    ]);
    expect(INBOUND_SENDERS).toEqual([
      'hwlab-up/wan0',
      'hwlab-node/phy-br-ex',
      'hwlab-node/tap-qg-a1',
      'hwlab-qrouter-a1/qr-a1',
      'hwlab-node/tap-vm1',
    ]);
  });

  it('defaults: the seed hop for backlog, mtu and down; the tap feeding it for qdisc', () => {
    expect(DEFAULT_HOP).toEqual({
      backlog: 'hwlab-qrouter-a1/qg-a1',
      mtu: 'hwlab-qrouter-a1/qg-a1',
      qdisc: 'hwlab-node/tap-qg-a1',
      down: 'hwlab-qrouter-a1/qg-a1',
    });
    for (const [kind, hop] of Object.entries(DEFAULT_HOP)) {
      expect(checkHop(kind as keyof typeof DEFAULT_HOP, undefined)).toEqual({ ok: true, hop });
    }
  });

  it('an unknown hop gets a message listing every lab id', () => {
    const r = checkHop('backlog', 'hwlab-node/nope');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toContain('"hwlab-node/nope" is not an interface of the lab');
      for (const id of LAB_IFACE_IDS) expect(r.error).toContain(id);
    }
  });

  it('a hop that does not suit the fault says why and lists the ones that do', () => {
    const r = checkHop('qdisc', 'hwlab-qrouter-a1/qg-a1');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toContain('qdisc shapes egress');
      expect(r.error).toContain('hwlab-node/tap-qg-a1');
    }
    expect(checkHop('down', 'hwlab-node/br-int').ok).toBe(true);
    expect(checkHop('down', 'hwlab-qrouter-b2/qg-b2').ok).toBe(false);
    expect(hopsFor('backlog').hops).toContain('hwlab-vm1/eth0');
  });

  it('backlog: RPS to the last CPU, never the sender CPU 0; tiny netdev_max_backlog', () => {
    expect(rpsTargetCpu(1)).toBeNull();
    expect(rpsTargetCpu(2)).toBe(1);
    expect(rpsMask(1)).toBe('2');
    expect(rpsMask(7)).toBe('80');
    const p = faultPlan('backlog', 'hwlab-qrouter-a1/qg-a1', 2);
    expect(p.sysctls).toEqual({ 'net.core.netdev_max_backlog': '8' });
    expect(p.steps).toEqual([
      { tool: 'sh', netns: 'hwlab-qrouter-a1', script: 'echo 2 > /sys/class/net/qg-a1/queues/rx-0/rps_cpus' },
    ]);
    expect(() => faultPlan('backlog', 'hwlab-qrouter-a1/qg-a1', 1)).toThrow(/2 CPUs/);
    const custom = faultPlan('backlog', 'hwlab-vm1/eth0', 4, {
      ...DEFAULT_FAULT_SETTINGS,
      maxBacklog: 16,
      mtu: 1450,
      tbfRate: '1mbit',
      tbfBurstBytes: 1,
      tbfLimitBytes: 1,
    });
    expect(custom.sysctls['net.core.netdev_max_backlog']).toBe('16');
    expect(custom.steps[0]).toMatchObject({
      netns: 'hwlab-vm1',
      script: 'echo 8 > /sys/class/net/eth0/queues/rx-0/rps_cpus',
    });
  });

  it('mtu, qdisc and down touch only the hop, and no global sysctl', () => {
    expect(faultPlan('mtu', 'hwlab-node/int-br-ex', 2)).toMatchObject({
      steps: [{ tool: 'ip', netns: 'hwlab-node', lines: ['link set dev int-br-ex mtu 1450'] }],
      sysctls: {},
    });
    expect(faultPlan('qdisc', 'hwlab-node/tap-qg-a1', 2)).toMatchObject({
      steps: [
        {
          tool: 'sh',
          netns: 'hwlab-node',
          script: 'tc qdisc replace dev tap-qg-a1 root tbf rate 100mbit burst 15000 limit 15000',
        },
      ],
      sysctls: {},
    });
    expect(faultPlan('down', 'hwlab-node/br-ex', 2)).toMatchObject({
      steps: [{ tool: 'ip', netns: 'hwlab-node', lines: ['link set dev br-ex down'] }],
      sysctls: {},
    });
  });
});
