/**
 * Issue 10's rules that the lab cannot provoke for real (no VXLAN segment, no physical NIC, no
 * memory pressure): the kernel's own reason names and counters, as a capture would carry them.
 */
import { describe, expect, it } from 'vitest';
import { type Finding, judgeWindow, mergeSamples, type Sample, type Topology } from '../src/index.ts';
import { LAB_PATH, LAB_VM_PATH, labTopology, withIface, withNewIface } from './fixtures/lab.ts';
import { dropAt, flow, sample } from './fixtures/samples.ts';

function judge(topology: Topology, s: Sample | Sample[], path: readonly string[] | null = LAB_PATH) {
  const samples = Array.isArray(s) ? s : [s];
  return judgeWindow(topology, mergeSamples(samples), path, samples);
}
const text = (f: Finding | undefined) => (f ? [f.title, ...f.evidence, f.fix, f.command].join('\n') : '');
const drop = (reason: string, location: string, count: number) => ({ reason, location, cpu: 0, count });

describe('more protocol rules', () => {
  it('R19: a VNI nobody has, on the vxlan device, with its VNI and port in the evidence', () => {
    const topology = withNewIface({
      netns: '',
      name: 'vxlan-100',
      kind: 'vxlan',
      vxlan: { vni: 100, port: 4789, local: '192.0.2.1', remote: null },
    });
    const { findings, hops } = judge(
      topology,
      sample({
        ifaces: { 'vxlan-100': { rxPackets: 50 } },
        drops: [drop('VXLAN_VNI_NOT_FOUND', 'vxlan_rcv', 12)],
      }),
    );
    expect(findings[0]).toMatchObject({ rule: 'R19', hop: 'vxlan-100', severity: 'loss', count: 12 });
    expect(text(findings[0])).toContain('VNI 100, port 4789');
    expect(hops.get('vxlan-100')?.status).toBe('loss');
  });

  it('R20: a bridge port not forwarding drops by STP state, on that port', () => {
    const topology = withIface('hwlab-node/int-br-ex', { portState: 'blocking' });
    const { findings, hops } = judge(
      topology,
      sample({ drops: [drop('BRIDGE_INGRESS_STP_STATE', 'br_handle_frame', 7)] }),
    );
    expect(findings[0]).toMatchObject({ rule: 'R20', hop: 'hwlab-node/int-br-ex', count: 7 });
    expect(findings[0]?.title).toContain('STP state blocking');
    expect(hops.get('hwlab-node/int-br-ex')?.status).toBe('loss');
  });

  it('R25 before R20: a down bridge disables its ports; their STP-state drops are the down bridge', () => {
    const topology = withIface('hwlab-node/br-ex', { adminUp: false, operstate: 'down' });
    const t2 = withIface('hwlab-node/eno1', { portState: 'disabled' }, topology);
    const { findings } = judge(
      t2,
      sample({ drops: [drop('BRIDGE_INGRESS_STP_STATE', 'br_handle_frame', 40)] }),
    );
    expect(findings[0]).toMatchObject({ rule: 'R25', hop: 'hwlab-node/br-ex', count: 40 });
    expect(findings.some((f) => f.rule === 'R20')).toBe(false);
  });

  it('R26: the recursion limit, on the device whose tx_dropped moved with it', () => {
    const topology = withNewIface({ netns: '', name: 'gre1', kind: 'other' });
    const { findings, hops } = judge(
      topology,
      sample({
        ifaces: { gre1: { txPackets: 10, txDropped: 5 } },
        drops: [drop('RECURSION_LIMIT', '__dev_queue_xmit', 5)],
      }),
    );
    expect(findings[0]).toMatchObject({ rule: 'R26', hop: 'gre1', count: 5 });
    expect(hops.get('gre1')?.status).toBe('loss');
  });

  it('R27: reassembly failures in the namespace whose Ip.ReasmFails moved, on the hop the path enters it by', () => {
    const { findings } = judge(
      labTopology(),
      sample({
        snmp: { 'hwlab-qrouter-a1': { 'Ip.ReasmFails': 9 } },
        drops: [drop('FRAG_REASM_TIMEOUT', 'ip_expire', 9)],
      }),
    );
    expect(findings[0]).toMatchObject({
      rule: 'R27',
      hop: 'hwlab-qrouter-a1/qg-a1',
      severity: 'loss',
      count: 9,
    });
  });

  it('R28: no memory for packets: host-wide, on no hop', () => {
    const { findings } = judge(labTopology(), sample({ drops: [drop('NOMEM', 'skb_copy', 3)] }));
    expect(findings[0]).toMatchObject({ rule: 'R28', hop: null, severity: 'loss', count: 3 });
  });

  it('R14: NEIGH_CREATEFAIL with the entries of every namespace against the global gc_thresh3', () => {
    const { findings } = judge(
      labTopology(),
      sample({
        drops: [drop('NEIGH_CREATEFAIL', '__neigh_create', 4)],
        sysctls: { 'net.ipv4.neigh.default.gc_thresh3': 1024 },
        nsproto: { 'hwlab-qrouter-a1': { neighbours: 600 }, 'hwlab-qrouter-b2': { neighbours: 424 } },
      }),
    );
    expect(findings[0]).toMatchObject({ rule: 'R14', hop: null, severity: 'loss', count: 4 });
    expect(text(findings[0])).toContain('1 024 neighbour entries over all namespaces');
    expect(findings[0]?.command).toContain('net.ipv4.neigh.default.gc_thresh3=4096');
  });

  it('R05: a physical NIC’s rx FIFO errors are ring overruns', () => {
    const topology = withNewIface({ netns: '', name: 'eno9', kind: 'physical' });
    const { findings, hops } = judge(
      topology,
      sample({ ifaces: { eno9: { rxPackets: 1000, rxErrors: 6, rxFifo: 6 } } }),
    );
    expect(findings[0]).toMatchObject({ rule: 'R05', hop: 'eno9', count: 6 });
    expect(findings[0]?.command).toBe('ethtool -G eno9 rx 4096');
    expect(hops.get('eno9')?.status).toBe('loss');
  });

  it('R07: a veth drops in veth_xdp_rx while softnet does not move: the peer’s NAPI ring', () => {
    const ifaces = dropAt(flow(labTopology(), LAB_VM_PATH, 4000), 'hwlab-vm1/eth0', 20, 'hwlab-node/tap-vm1');
    const { findings, hops } = judge(
      labTopology(),
      sample({ ifaces, drops: [drop('NOT_SPECIFIED', 'veth_xdp_rx', 20)] }),
      LAB_VM_PATH,
    );
    expect(findings[0]).toMatchObject({ rule: 'R07', hop: 'hwlab-vm1/eth0', count: 20 });
    expect(findings[0]?.command).toBe('tc -n hwlab-node qdisc replace dev tap-vm1 root fq_codel');
    expect(hops.get('hwlab-vm1/eth0')?.status).toBe('loss');
  });

  it('R12: a namespace near nf_conntrack_max without drops yet is a warning', () => {
    const { findings } = judge(
      labTopology(),
      sample({
        sysctls: { 'net.netfilter.nf_conntrack_max': 1000 },
        nsproto: {
          'hwlab-qrouter-a1': {
            conntrack: { count: 950, drop: 0, earlyDrop: 3, insertFailed: 0, invalid: 0 },
          },
        },
      }),
    );
    expect(findings[0]).toMatchObject({ rule: 'R12', severity: 'warn', hop: 'hwlab-qrouter-a1/qg-a1' });
  });

  it('R12: counters alone (tracing off) still name the namespace and the count', () => {
    const { findings } = judge(
      labTopology(),
      sample({
        tracing: { state: 'unavailable', detail: 'not root', lost: 0 },
        sysctls: { 'net.netfilter.nf_conntrack_max': 64 },
        nsproto: {
          'hwlab-qrouter-a1': {
            conntrack: { count: 64, drop: 30, earlyDrop: 0, insertFailed: 2, invalid: 0 },
          },
        },
      }),
    );
    expect(findings[0]).toMatchObject({
      rule: 'R12',
      severity: 'loss',
      hop: 'hwlab-qrouter-a1/qg-a1',
      count: 32,
    });
  });

  it('WIN4: protocol state over a window: statistics and rule counters add up, gauges are the newest', () => {
    const rule = {
      family: 'inet',
      table: 't',
      chain: 'input',
      hook: 'input',
      handle: 4,
      verdict: 'drop' as const,
      text: 'udp dport 9000 drop',
    };
    const a = sample({
      t: 1,
      nsproto: {
        r: {
          conntrack: { count: 10, drop: 1, earlyDrop: 0, insertFailed: 0, invalid: 0 },
          firewall: [{ ...rule, packets: 3 }],
          mib: { 'IpExt.InNoRoutes': 2 },
        },
      },
    });
    const b = sample({
      t: 2,
      nsproto: {
        r: {
          conntrack: { count: 12, drop: 2, earlyDrop: 1, insertFailed: 0, invalid: 0 },
          firewall: [{ ...rule, packets: 4 }],
          mib: { 'IpExt.InNoRoutes': 5 },
          rpFilter: { all: 1 },
        },
      },
    });
    const w = mergeSamples([b, a])!;
    expect(w.nsproto?.r).toEqual({
      conntrack: { count: 12, drop: 3, earlyDrop: 1, insertFailed: 0, invalid: 0 },
      firewall: [{ ...rule, packets: 7 }],
      mib: { 'IpExt.InNoRoutes': 7 },
      rpFilter: { all: 1 },
    });
    expect(mergeSamples([sample()])?.nsproto).toBeUndefined();
  });
});
