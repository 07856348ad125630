import { describe, expect, it } from 'vitest';
import { type Finding, judgeWindow, mergeSamples, type Sample, type Topology } from '../src/index.ts';
import { LAB_PATH, LAB_VM_PATH, labTopology, SEED_HOP, withIface, withNewIface } from './fixtures/lab.ts';
import { dropAt, flow, sample } from './fixtures/samples.ts';
import { seedScenario } from './fixtures/scenarios.ts';

const TAP_QG = 'hwlab-node/tap-qg-a1';
const ROUTER_LAN = 'hwlab-qrouter-a1/qr-a1';
const VM_ETH = 'hwlab-vm1/eth0';
const OFF = { state: 'unavailable' as const, detail: 'not root', lost: 0 };

function judge(topology: Topology, s: Sample | Sample[], path: readonly string[] | null = LAB_PATH) {
  const samples = Array.isArray(s) ? s : [s];
  return judgeWindow(topology, mergeSamples(samples), path, samples);
}
const only = (findings: Finding[], rule: string) => findings.filter((f) => f.rule === rule);
const text = (f: Finding | undefined) => (f ? [f.title, ...f.evidence, f.fix].join('\n') : '');

describe('R01 CPU backlog overflow', () => {
  it('R01: the seed: qg-a1, CPU 1, netdev_max_backlog 1000 in the evidence, the sysctl in the fix', () => {
    const { topology, samples } = seedScenario();
    const { findings, hops } = judge(topology, samples);
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f).toMatchObject({
      rule: 'R01',
      severity: 'loss',
      hop: SEED_HOP,
      reason: 'CPU_BACKLOG',
      count: 37,
    });
    expect(f.title).toBe('CPU backlog overflow on CPU 1 (netdev_max_backlog = 1000)');
    expect(f.evidence).toEqual([
      'rx_dropped +37 on hwlab-qrouter-a1/qg-a1 (0.04 % of 91 200 packets)',
      'tx_dropped +37 on hwlab-node/tap-qg-a1 (its veth peer: the same drops, counted once)',
      'softnet dropped +37 on CPU 1',
      'kfree_skb CPU_BACKLOG ×37 at enqueue_to_backlog',
      'net.core.netdev_max_backlog = 1000',
      'rps_cpus = 2 on qg-a1 (steers its receive work to CPU 1)',
    ]);
    expect(f.fix).toContain(
      'net.core.netdev_max_backlog is 1000: raise it, e.g. `sysctl -w net.core.netdev_max_backlog=10000`',
    );
    expect(f.command).toBe('sysctl -w net.core.netdev_max_backlog=10000');
    expect(hops.get(SEED_HOP)?.rules).toEqual(['R01']);
  });

  it('R01: the lab fault (netdev_max_backlog = 1) names the current value and a real target', () => {
    const { topology, samples } = seedScenario({ sysctls: { 'net.core.netdev_max_backlog': 1 } });
    const f = judge(topology, samples).findings[0]!;
    expect(f.title).toContain('netdev_max_backlog = 1)');
    expect(f.fix).toMatch(/^net\.core\.netdev_max_backlog is 1: raise it/);
    expect(f.command).toBe('sysctl -w net.core.netdev_max_backlog=10000');
  });

  it('R01: an RPS hop is titled by the CPU it steers to; other CPUs’ drops are named as such', () => {
    const { topology, samples } = seedScenario({
      softnet: [
        { cpu: 0, dropped: 5 },
        { cpu: 1, dropped: 37 },
      ],
    });
    const f = judge(topology, samples).findings.find((x) => x.hop === SEED_HOP);
    expect(f?.title).toBe('CPU backlog overflow on CPU 1 (netdev_max_backlog = 1000)');
    expect(f?.evidence).toContain('softnet dropped +5 on CPU 0 too (other receivers)');
  });

  it('R01: from counters alone (no drop reasons: tracing unavailable)', () => {
    const { topology, samples } = seedScenario({ drops: [], tracing: OFF });
    const f = judge(topology, samples).findings[0]!;
    expect(f).toMatchObject({ rule: 'R01', hop: SEED_HOP, count: 37 });
    expect(f.evidence).toContain('softnet dropped +37 on CPU 1');
  });

  it('R01: from drop reasons alone (softnet not reported)', () => {
    const { topology, samples } = seedScenario({ softnet: [] });
    const f = judge(topology, samples).findings[0]!;
    expect(f).toMatchObject({ rule: 'R01', hop: SEED_HOP, count: 37 });
    expect(f.title).toBe('CPU backlog overflow on CPU 0 (netdev_max_backlog = 1000)');
  });
});

describe('R02 gro_cells overflow', () => {
  const topology = withNewIface({
    netns: 'hwlab-node',
    name: 'vxlan-100',
    kind: 'vxlan',
    driverKind: 'vxlan',
  });
  const ifaces = { 'hwlab-node/vxlan-100': { rxPackets: 5000, rxDropped: 50 } };

  it('R02: a tunnel device’s rx_dropped with gro_cells_receive drops', () => {
    const drops = [{ reason: 'NOT_SPECIFIED', location: 'gro_cells_receive', cpu: 1, count: 50 }];
    const f = only(judge(topology, sample({ ifaces, drops }), null).findings, 'R02')[0];
    expect(f).toMatchObject({ hop: 'hwlab-node/vxlan-100', count: 50, severity: 'loss' });
    expect(f?.command).toContain('netdev_max_backlog');
  });

  it('R02: from counters: tunnel rx_dropped while softnet column 2 did not move', () => {
    const { findings } = judge(topology, sample({ ifaces, tracing: OFF }), null);
    expect(findings.map((f) => f.rule)).toEqual(['R02']);
  });
});

describe('R03 RPS flow limit', () => {
  it('R03: flow_limit_count drops are the flow limit, not a backlog overflow', () => {
    const topology = withIface(SEED_HOP, { rpsCpus: '2' });
    const ifaces = dropAt(flow(topology, LAB_PATH, 20_000), SEED_HOP, 10, TAP_QG);
    const s = sample({
      ifaces,
      softnet: [{ cpu: 0 }, { cpu: 1, dropped: 10, flowLimit: 10 }],
      drops: [{ reason: 'CPU_BACKLOG', location: 'enqueue_to_backlog', cpu: 0, count: 10 }],
    });
    const { findings } = judge(topology, s);
    expect(findings.map((f) => f.rule)).toEqual(['R03']);
    expect(findings[0]).toMatchObject({ hop: SEED_HOP, count: 10 });
    expect(text(findings[0])).toContain('flow_limit_count +10 on CPU 1');
  });
});

describe('R04 softirq budget', () => {
  it('R04: time_squeeze alone is information with the budget in the fix', () => {
    const { topology } = seedScenario();
    const f = judge(topology, sample({ softnet: [{ cpu: 0, timeSqueeze: 12 }] })).findings[0];
    expect(f).toMatchObject({ rule: 'R04', severity: 'info', hop: null, count: 12 });
    expect(f?.command).toBe('sysctl -w net.core.netdev_budget=600');
  });

  it('R04: next to backlog drops it is a warning', () => {
    const { topology, samples } = seedScenario({
      softnet: [{ cpu: 0 }, { cpu: 1, dropped: 37, timeSqueeze: 4 }],
    });
    const { findings } = judge(topology, samples);
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([
      ['R01', 'loss'],
      ['R04', 'warn'],
    ]);
  });
});

describe('R06 benign rx_dropped', () => {
  it('R06: UNHANDLED_PROTO on the uplink port is a warning, never loss', () => {
    const topology = labTopology();
    const ifaces = flow(topology, LAB_PATH, 100);
    ifaces['hwlab-node/eno1'] = { ...ifaces['hwlab-node/eno1'], rxDropped: 3 };
    const drops = [
      { reason: 'UNHANDLED_PROTO', location: '__netif_receive_skb_core.constprop.0', cpu: 0, count: 3 },
    ];
    const { findings, hops } = judge(topology, sample({ ifaces, drops }));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R06', severity: 'warn', hop: 'hwlab-node/eno1', count: 3 });
    expect(hops.get('hwlab-node/eno1')).toMatchObject({ status: 'warn', drops: 3, rules: ['R06'] });
  });

  it('R06: benign drops no interface counted are information', () => {
    const drops = [{ reason: 'IPV6DISABLED', location: 'ipv6_rcv', cpu: 0, count: 2 }];
    const f = judge(labTopology(), sample({ drops })).findings[0];
    expect(f).toMatchObject({ rule: 'R06', severity: 'info', hop: null });
  });
});

describe('R08 tap TX ring full', () => {
  it('R08: a tap’s tx_dropped with FULL_RING: the VM is slow to consume', () => {
    const topology = withNewIface({
      netns: 'hwlab-node',
      name: 'tap-vm2',
      kind: 'tap',
      driverKind: 'tun',
      master: 'hwlab-node/br-tenant',
      txqueuelen: 500,
    });
    const s = sample({
      ifaces: { 'hwlab-node/tap-vm2': { txPackets: 9970, txDropped: 30 } },
      drops: [{ reason: 'FULL_RING', location: 'tun_net_xmit', cpu: 1, count: 30 }],
    });
    const { findings, hops } = judge(topology, s, null);
    expect(findings.map((f) => f.rule)).toEqual(['R08']);
    expect(findings[0]).toMatchObject({ hop: 'hwlab-node/tap-vm2', count: 30, reason: 'FULL_RING' });
    expect(findings[0]?.command).toBe('ip -n hwlab-node link set dev tap-vm2 txqueuelen 10000');
    expect(text(findings[0])).toContain('txqueuelen = 500');
    expect(hops.get('hwlab-node/tap-vm2')?.status).toBe('loss');
  });
});

describe('R09 qdisc drops', () => {
  it('R09: a tbf overflow moves no interface counter, only the qdisc’s and QDISC_DROP', () => {
    const topology = withIface(TAP_QG, { qdisc: 'tbf' });
    const s = sample({
      ifaces: flow(topology, LAB_PATH, 4800),
      qdiscs: { [TAP_QG]: { kind: 'tbf', packets: 4800, drops: 200, overlimits: 900 } },
      drops: [{ reason: 'QDISC_DROP', location: '__dev_queue_xmit', cpu: 0, count: 200 }],
    });
    const { findings, hops } = judge(topology, s);
    expect(findings.map((f) => f.rule)).toEqual(['R09']);
    const f = findings[0]!;
    expect(f).toMatchObject({ hop: TAP_QG, count: 200, reason: 'QDISC_DROP', severity: 'loss' });
    expect(f.evidence[0]).toBe(
      'qdisc tbf on hwlab-node/tap-qg-a1: dropped +200 (4 % of 5 000 packets), overlimits +900',
    );
    expect(f.evidence).toContain('tx_dropped of tap-qg-a1 +0: no interface counter shows these drops');
    expect(f.command).toBe('tc -n hwlab-node qdisc del dev tap-qg-a1 root');
    expect(hops.get(TAP_QG)?.status).toBe('loss');
    expect(hops.get(SEED_HOP)?.status).toBe('ok');
  });

  it('R09: a pfifo_fast overflow asks for a longer txqueuelen', () => {
    const s = sample({ qdiscs: { eth0: { kind: 'pfifo_fast', packets: 1000, drops: 5 } } });
    const f = judge(labTopology(), s, null).findings[0];
    expect(f).toMatchObject({ rule: 'R09', hop: 'eth0', command: 'ip link set dev eth0 txqueuelen 10000' });
  });
});

describe('R10 MTU mismatch', () => {
  const mtuTopology = () => withIface(SEED_HOP, { mtu: 1400 });

  it('R10: a veth pair with different MTUs: NOT_SPECIFIED at __dev_forward_skb2 on the smaller end', () => {
    const topology = mtuTopology();
    const ifaces = dropAt(flow(topology, LAB_PATH, 3000), SEED_HOP, 120, TAP_QG);
    const drops = [{ reason: 'NOT_SPECIFIED', location: '__dev_forward_skb2', cpu: 0, count: 120 }];
    const { findings } = judge(topology, sample({ ifaces, drops }));
    expect(findings.map((f) => f.rule)).toEqual(['R10']);
    const f = findings[0]!;
    expect(f).toMatchObject({ hop: SEED_HOP, count: 120, severity: 'loss', reason: 'NOT_SPECIFIED' });
    expect(f.title).toContain('MTU 1400');
    expect(f.evidence).toContain('kfree_skb NOT_SPECIFIED ×120 at __dev_forward_skb2');
    expect(f.command).toBe('ip -n hwlab-qrouter-a1 link set dev qg-a1 mtu 1500');
  });

  it('R10: from counters and MTUs alone when there are no drop reasons', () => {
    const topology = mtuTopology();
    const ifaces = dropAt(flow(topology, LAB_PATH, 3000), SEED_HOP, 120, TAP_QG);
    const f = judge(topology, sample({ ifaces, tracing: OFF })).findings[0];
    expect(f).toMatchObject({ rule: 'R10', hop: SEED_HOP, count: 120 });
  });

  it('R10: a mismatched pair that carries traffic without drops yet is a warning', () => {
    const topology = mtuTopology();
    const { findings, hops } = judge(topology, sample({ ifaces: flow(topology, LAB_PATH, 3000) }));
    expect(findings.map((f) => [f.rule, f.severity, f.count])).toEqual([['R10', 'warn', 0]]);
    expect(hops.get(SEED_HOP)?.status).toBe('warn');
    // Idle and off the path: no opinion.
    expect(judge(topology, sample(), null).findings).toEqual([]);
  });

  it('R10: a bridge port with a smaller MTU: the bridge drops silently at br_dev_queue_push_xmit', () => {
    const topology = withIface(TAP_QG, { mtu: 1000 });
    const drops = [{ reason: 'NOT_SPECIFIED', location: 'br_dev_queue_push_xmit', cpu: 1, count: 40 }];
    const { findings, hops } = judge(topology, sample({ ifaces: flow(topology, LAB_PATH, 500), drops }));
    expect(findings[0]).toMatchObject({ rule: 'R10', hop: TAP_QG, count: 40, severity: 'loss' });
    expect(findings[0]?.title).toContain('bridge hwlab-node/br-int');
    expect(hops.get(TAP_QG)).toMatchObject({ status: 'loss', drops: 40 });
  });

  it('R10: routed: Ip.FragFails in the router, the narrow exit is its smaller-MTU port', () => {
    const topology = withIface(ROUTER_LAN, { mtu: 1400 });
    const s = sample({
      ifaces: flow(topology, LAB_VM_PATH, 800),
      snmp: { 'hwlab-qrouter-a1': { 'Ip.FragFails': 25 } },
      drops: [{ reason: 'PKT_TOO_BIG', location: 'ip_forward', cpu: 0, count: 25 }],
    });
    const f = only(judge(topology, s, LAB_VM_PATH).findings, 'R10').find((x) => x.reason === 'PKT_TOO_BIG');
    expect(f).toMatchObject({ hop: ROUTER_LAN, count: 25, severity: 'loss' });
    expect(text(f)).toContain('Ip.FragFails +25 in hwlab-qrouter-a1');
  });
});

describe('R15 unresolved neighbour', () => {
  it('R15: failed neighbour resolution is loss with no hop (the reasons carry no device)', () => {
    const drops = [{ reason: 'NEIGH_FAILED', location: 'neigh_invalidate', cpu: 0, count: 12 }];
    const { findings } = judge(labTopology(), sample({ drops }), null);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R15', severity: 'loss', hop: null, count: 12 });
  });

  it('R15: with a down link on the way, R25 takes them: that is why nobody answers', () => {
    const topology = withIface(SEED_HOP, { adminUp: false, operstate: 'down' });
    const drops = [{ reason: 'NEIGH_FAILED', location: 'neigh_invalidate', cpu: 0, count: 12 }];
    const { findings } = judge(topology, sample({ drops }));
    expect(findings.map((f) => [f.rule, f.count])).toEqual([['R25', 12]]);
  });
});

describe('R17 socket buffer overflow', () => {
  it('R17: UDP RcvbufErrors in the VM: lost at the socket, shown on the hop that brought it', () => {
    const topology = labTopology();
    const s = sample({
      ifaces: flow(topology, LAB_VM_PATH, 10_000),
      snmp: { 'hwlab-vm1': { 'Udp.RcvbufErrors': 70, 'Udp.InErrors': 70 } },
      drops: [{ reason: 'SOCKET_RCVBUFF', location: '__udp_enqueue_schedule_skb', cpu: 1, count: 70 }],
      sysctls: { 'net.core.rmem_max': 212_992 },
    });
    const { findings, hops } = judge(topology, s, LAB_VM_PATH);
    expect(findings.map((f) => f.rule)).toEqual(['R17']);
    expect(findings[0]).toMatchObject({ hop: VM_ETH, count: 70, severity: 'loss', reason: 'SOCKET_RCVBUFF' });
    expect(findings[0]?.command).toBe('ip netns exec hwlab-vm1 sysctl -w net.core.rmem_max=8388608');
    expect(hops.get(VM_ETH)?.status).toBe('loss');
  });
});

describe('R18 no listener', () => {
  it('R18: UDP to a closed port is delivered: information, the hop stays ok', () => {
    const topology = labTopology();
    const s = sample({
      ifaces: flow(topology, LAB_PATH, 3000),
      snmp: { 'hwlab-qrouter-a1': { 'Udp.NoPorts': 3000 } },
      drops: [{ reason: 'NO_SOCKET', location: '__udp4_lib_rcv', cpu: 0, count: 3000 }],
    });
    const { findings, hops } = judge(topology, s);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R18', severity: 'info', hop: SEED_HOP, count: 3000 });
    expect(hops.get(SEED_HOP)).toMatchObject({ status: 'ok', drops: 0, rules: ['R18'] });
  });
});

describe('R25 device not up', () => {
  it('R25: a bridge port that is down on the path: down, loss severity, the command to bring it up', () => {
    const topology = withIface(TAP_QG, {
      adminUp: false,
      operstate: 'down',
      carrier: false,
      portState: 'disabled',
    });
    const { findings, hops } = judge(topology, sample({ ifaces: flow(topology, LAB_PATH.slice(0, 6), 300) }));
    expect(findings[0]).toMatchObject({ rule: 'R25', hop: TAP_QG, severity: 'loss' });
    expect(findings[0]?.title).toBe('hwlab-node/tap-qg-a1 is down (a port of hwlab-node/br-int)');
    expect(findings[0]?.command).toBe('ip -n hwlab-node link set dev tap-qg-a1 up');
    expect(hops.get(TAP_QG)?.status).toBe('down');
  });

  it('R25: the admin-down end is blamed; its peer without carrier is down without a finding of its own', () => {
    let topology = withIface(SEED_HOP, { adminUp: false, operstate: 'down', carrier: false });
    topology = withIface(TAP_QG, { operstate: 'lowerlayerdown', carrier: false }, topology);
    const s = sample({
      ifaces: { [TAP_QG]: { txDropped: 8 } },
      drops: [{ reason: 'DEV_READY', location: 'enqueue_to_backlog', cpu: 0, count: 8 }],
    });
    const { findings, hops } = judge(topology, s);
    expect(findings.map((f) => [f.rule, f.hop])).toEqual([['R25', SEED_HOP]]);
    expect(findings[0]?.count).toBe(8);
    expect(text(findings[0])).toContain('kfree_skb DEV_READY ×8 at enqueue_to_backlog');
    expect(hops.get(TAP_QG)?.status).toBe('down');
    expect(hops.get(SEED_HOP)?.status).toBe('down');
  });

  it('R25: a down bridge port off the path that lost nothing is a warning', () => {
    const topology = withIface('hwlab-node/tap-qg-b2', { adminUp: false, operstate: 'down' });
    const f = judge(topology, sample(), null).findings[0];
    expect(f).toMatchObject({ rule: 'R25', severity: 'warn', hop: 'hwlab-node/tap-qg-b2' });
  });
});

describe('R00 loss without a known cause', () => {
  it('R00: drops no rule explains are still loss, with the counters and why reasons are missing', () => {
    const topology = labTopology();
    const ifaces = dropAt(flow(topology, LAB_PATH, 5000), 'hwlab-node/int-br-ex', 9, 'hwlab-node/phy-br-ex');
    const { findings, hops } = judge(topology, sample({ ifaces, tracing: OFF }));
    expect(findings[0]).toMatchObject({
      rule: 'R00',
      hop: 'hwlab-node/int-br-ex',
      count: 9,
      severity: 'loss',
    });
    expect(text(findings[0])).toContain('kernel drop reasons unavailable (tracing unavailable: not root)');
    expect(hops.get('hwlab-node/int-br-ex')?.status).toBe('loss');
  });

  it('R00: kernel drops that no hop counted are information, listed by reason', () => {
    const drops = [{ reason: 'IP_CSUM', location: 'ip_rcv_core', cpu: 0, count: 4 }];
    const { findings, hops } = judge(labTopology(), sample({ drops }), null);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R00', severity: 'info', hop: null, count: 4 });
    expect([...hops.values()].every((h) => h.status === 'idle')).toBe(true);
  });

  it('R13: firewall drops from an agent that reports no rules are a warning on no hop', () => {
    const drops = [{ reason: 'NETFILTER_DROP', location: 'nf_hook_slow', cpu: 0, count: 4 }];
    const { findings, hops } = judge(labTopology(), sample({ drops }), null);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'R13', severity: 'warn', hop: null, count: 4 });
    expect([...hops.values()].every((h) => h.status === 'idle')).toBe(true);
  });
});
