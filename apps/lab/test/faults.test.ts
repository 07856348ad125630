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
      firewall: 'hwlab-qrouter-a1/qg-a1',
      conntrack: 'hwlab-qrouter-a1/qg-a1',
      rpfilter: 'hwlab-qrouter-a1/qg-a1',
      noroute: 'hwlab-qrouter-a1/qg-a1',
      neigh: 'hwlab-qrouter-a1/qr-a1',
      'flow-drop': 'hwlab-node/br-int',
      'patch-peer': 'hwlab-node/phy-br-ex',
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

  it('firewall: a counted nft drop rule for a share of UDP and ICMP, in input (and forward in the router)', () => {
    const router = faultPlan('firewall', 'hwlab-qrouter-a1/qg-a1', 2);
    expect(router.sysctls).toEqual({});
    expect(router.steps).toHaveLength(1);
    const step = router.steps[0]!;
    expect(step).toMatchObject({ tool: 'nft', netns: 'hwlab-qrouter-a1' });
    const text = step.tool === 'nft' ? step.lines.join('\n') : '';
    expect(text).toContain('table inet hwlab_fault {');
    expect(text).toContain('type filter hook input priority filter; policy accept;');
    expect(text).toContain('type filter hook forward priority filter; policy accept;');
    expect(text).toContain(
      'meta l4proto { icmp, udp } numgen random mod 10000 < 500 counter drop comment "hwlab firewall fault"',
    );
    const vm = faultPlan('firewall', 'hwlab-vm1/eth0', 2, {
      ...DEFAULT_FAULT_SETTINGS,
      firewallPercent: 0.05,
    });
    const vmText = vm.steps[0]?.tool === 'nft' ? vm.steps[0].lines.join('\n') : '';
    expect(vmText).not.toContain('hook forward');
    expect(vmText).toContain('mod 10000 < 5 counter drop');
  });

  it('conntrack: a ct rule turns conntrack on in the namespace; nf_conntrack_max is the global sysctl', () => {
    const p = faultPlan('conntrack', 'hwlab-vm1/eth0', 2);
    expect(p.sysctls).toEqual({ 'net.netfilter.nf_conntrack_max': '64' });
    expect(p.steps[0]).toMatchObject({ tool: 'nft', netns: 'hwlab-vm1' });
  });

  it('rpfilter, noroute and neigh act inside the namespaces and change no global sysctl', () => {
    expect(faultPlan('rpfilter', 'hwlab-qrouter-a1/qg-a1', 2)).toEqual({
      steps: [
        {
          tool: 'sh',
          netns: 'hwlab-qrouter-a1',
          script:
            'echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter; echo 1 > /proc/sys/net/ipv4/conf/qg-a1/rp_filter; ip route replace 203.0.113.1/32 via 10.10.0.5 dev qr-a1',
        },
      ],
      sysctls: {},
      detail: expect.stringContaining('strict'),
    });
    expect(faultPlan('noroute', 'hwlab-qrouter-a1/qg-a1', 2).steps).toEqual([
      {
        tool: 'sh',
        netns: 'hwlab-qrouter-a1',
        script: 'ip route del 10.10.0.0/24 dev qr-a1; ip route del default',
      },
    ]);
    expect(faultPlan('neigh', 'hwlab-up/wan0', 2).steps).toEqual([
      { tool: 'sh', netns: 'hwlab-qrouter-a1', script: 'ip link set dev qg-a1 arp off' },
      { tool: 'sh', netns: 'hwlab-up', script: 'ip neigh del 203.0.113.10 dev wan0' },
    ]);
    for (const kind of ['firewall', 'conntrack', 'rpfilter', 'noroute', 'neigh'] as const) {
      expect(checkHop(kind, 'hwlab-node/br-ex').ok).toBe(false);
      expect(hopsFor(kind).hops).toHaveLength(2);
    }
  });
});
