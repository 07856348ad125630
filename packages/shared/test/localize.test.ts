import { describe, expect, it } from 'vitest';
import {
  HopReportSchema,
  judgeWindow,
  LOSS_MIN_DROPS,
  localize,
  mergeSamples,
  SampleSchema,
} from '../src/index.ts';
import { LAB_PATH, labTopology, SEED_HOP, withIface } from './fixtures/lab.ts';
import { dropAt, flow, sample } from './fixtures/samples.ts';
import { cleanScenario, SEED_DROPS, SEED_OFFERED, seedScenario } from './fixtures/scenarios.ts';

const TAP_QG = 'hwlab-node/tap-qg-a1';
const VM_ETH = 'hwlab-vm1/eth0';
const TAP_VM = 'hwlab-node/tap-vm1';

describe('loss localisation', () => {
  it('LOC1: a veth pair’s tx_dropped on one end and rx_dropped on the other are one drop, on the receiving end', () => {
    const { topology, samples } = seedScenario();
    const hops = localize(topology, mergeSamples(samples), LAB_PATH);
    expect(hops.get(SEED_HOP)).toMatchObject({
      status: 'loss',
      drops: SEED_DROPS,
      rxDropped: 37,
      pathIndex: 8,
    });
    expect(hops.get(TAP_QG)).toMatchObject({ status: 'ok', drops: 0, txDropped: 37, pathIndex: 7 });
    expect(hops.get(SEED_HOP)?.lossRatio).toBeCloseTo(SEED_DROPS / SEED_OFFERED, 8);
  });

  it('LOC1: a veth sender’s tx_dropped alone still shows on the receiving end', () => {
    const topology = labTopology();
    const ifaces = flow(topology, LAB_PATH, 1000);
    ifaces[TAP_QG] = { ...ifaces[TAP_QG], txDropped: 4 };
    const hops = localize(topology, sample({ ifaces }));
    expect(hops.get(SEED_HOP)).toMatchObject({ status: 'loss', drops: 4 });
    expect(hops.get(TAP_QG)).toMatchObject({ status: 'ok', drops: 0 });
  });

  it('LOC2: conservation: what a veth sent and its peer never received is loss on the receiving end', () => {
    const topology = labTopology();
    const ifaces = flow(topology, LAB_PATH, 100_000);
    ifaces[SEED_HOP]!.rxPackets! -= 500;
    const { hops, findings } = judgeWindow(topology, sample({ ifaces }));
    expect(hops.get(SEED_HOP)).toMatchObject({ status: 'loss', drops: 500 });
    const f = findings.find((x) => x.hop === SEED_HOP);
    expect(f?.rule).toBe('R00');
    expect(f?.evidence.join('\n')).toContain('+500 never arrived');
  });

  it('LOC2: a gap within the read-skew slack is not loss', () => {
    const topology = labTopology();
    const ifaces = flow(topology, LAB_PATH, 100_000);
    ifaces[SEED_HOP]!.rxPackets! -= 20;
    expect(localize(topology, sample({ ifaces })).get(SEED_HOP)?.status).toBe('ok');
  });

  it('LOC3: qdisc drops move no interface counter and still make the hop lose', () => {
    const topology = withIface(TAP_QG, { qdisc: 'tbf' });
    const ifaces = flow(topology, LAB_PATH, 5000);
    const hops = localize(
      topology,
      sample({ ifaces, qdiscs: { [TAP_QG]: { kind: 'tbf', packets: 4800, drops: 200 } } }),
    );
    expect(hops.get(TAP_QG)).toMatchObject({ status: 'loss', drops: 200, txDropped: 0, rxDropped: 0 });
    expect(hops.get(TAP_QG)?.rules).toEqual(['R09']);
  });

  it('LOC4: softnet drops go to the hop whose rx_dropped moved with them, the RPS one first', () => {
    const topology = withIface(SEED_HOP, { rpsCpus: '2' });
    const ifaces = flow(topology, LAB_PATH, 10_000);
    dropAt(ifaces, SEED_HOP, 37, TAP_QG);
    dropAt(ifaces, VM_ETH, 5, TAP_VM);
    const { hops, findings } = judgeWindow(
      topology,
      sample({ ifaces, softnet: [{ cpu: 0 }, { cpu: 1, dropped: 37 }] }),
    );
    expect(findings.find((f) => f.rule === 'R01')).toMatchObject({ hop: SEED_HOP, count: 37 });
    expect(hops.get(SEED_HOP)?.rules).toEqual(['R01']);
    // The other drops did not move with softnet: still loss, cause unknown.
    expect(hops.get(VM_ETH)).toMatchObject({ status: 'loss', rules: ['R00'] });
  });

  it('LOC4: interval by interval, the hop whose drops moved with softnet wins', () => {
    const topology = labTopology();
    const s1 = sample({
      t: 1000,
      elapsedMs: 1000,
      ifaces: dropAt(flow(topology, LAB_PATH, 1000), SEED_HOP, 20, TAP_QG),
      softnet: [{ cpu: 0 }, { cpu: 1, dropped: 20 }],
    });
    const s2 = sample({ t: 2000, elapsedMs: 1000, ifaces: dropAt({}, VM_ETH, 20, TAP_VM) });
    const { findings } = judgeWindow(topology, mergeSamples([s1, s2]), null, [s1, s2]);
    expect(findings.find((f) => f.rule === 'R01')?.hop).toBe(SEED_HOP);
    expect(findings.find((f) => f.rule === 'R00')?.hop).toBe(VM_ETH);
  });

  it('LOC4: softnet drops no interface counted go to the RPS hop steering to that CPU, else to no hop', () => {
    const topology = withIface(SEED_HOP, { rpsCpus: '2' });
    const w = sample({
      ifaces: flow(topology, LAB_PATH, 10_000),
      softnet: [{ cpu: 0 }, { cpu: 1, dropped: 9 }],
    });
    const { hops, findings } = judgeWindow(topology, w);
    expect(findings[0]).toMatchObject({ rule: 'R01', hop: SEED_HOP, count: 9 });
    expect(hops.get(SEED_HOP)).toMatchObject({ status: 'loss', drops: 9 });
    const none = judgeWindow(labTopology(), w).findings[0];
    expect(none).toMatchObject({ rule: 'R01', hop: null, count: 9, severity: 'loss' });
  });

  it('LOC5: kernel drop reasons are tied to hops by location and counters (location suffixes ignored)', () => {
    const topology = withIface(SEED_HOP, { mtu: 1400 });
    const ifaces = dropAt(flow(topology, LAB_PATH, 3000), SEED_HOP, 12, TAP_QG);
    const drops = [
      { reason: 'NOT_SPECIFIED', location: '__dev_forward_skb2.constprop.0', cpu: 0, count: 12 },
    ];
    const { hops, findings } = judgeWindow(topology, sample({ ifaces, drops }));
    expect(findings[0]).toMatchObject({ rule: 'R10', hop: SEED_HOP, count: 12, reason: 'NOT_SPECIFIED' });
    expect(hops.get(SEED_HOP)?.status).toBe('loss');
  });

  it('LOC6: drops of traffic nobody wanted are warn; traffic to a closed port is delivered, not red', () => {
    const topology = labTopology();
    const ifaces = flow(topology, LAB_PATH, 3000);
    ifaces['hwlab-node/eno1'] = { ...ifaces['hwlab-node/eno1'], rxDropped: 6 };
    const { hops, findings } = judgeWindow(
      topology,
      sample({
        ifaces,
        drops: [
          { reason: 'UNHANDLED_PROTO', location: '__netif_receive_skb_core', cpu: 0, count: 6 },
          { reason: 'NO_SOCKET', location: '__udp4_lib_rcv', cpu: 1, count: 3000 },
        ],
        snmp: { 'hwlab-qrouter-a1': { 'Udp.NoPorts': 3000 } },
      }),
      LAB_PATH,
    );
    expect(hops.get('hwlab-node/eno1')?.status).toBe('warn');
    expect(hops.get(SEED_HOP)?.status).toBe('ok');
    expect(findings.map((f) => [f.rule, f.severity])).toEqual([
      ['R06', 'warn'],
      ['R18', 'info'],
    ]);
  });

  it('LOC7: down is a hop that should carry traffic and cannot: admin down, or no carrier', () => {
    const topology = withIface(TAP_QG, {
      adminUp: false,
      operstate: 'down',
      carrier: false,
      portState: 'disabled',
    });
    const hops = localize(topology, null, LAB_PATH);
    expect(hops.get(TAP_QG)?.status).toBe('down');
    // A host NIC that is down and has no role (not a port, not on the path, idle) is just idle.
    const spare = localize(withIface('eth0', { adminUp: false, operstate: 'down' }), null);
    expect(spare.get('eth0')?.status).toBe('idle');
  });

  it('LOC8: an idle window and a clean window give no finding and no red hop', () => {
    const idle = judgeWindow(labTopology(), sample());
    expect(idle.findings).toEqual([]);
    expect(new Set([...idle.hops.values()].map((h) => h.status))).toEqual(new Set(['idle']));
    const { topology, samples } = cleanScenario();
    const clean = judgeWindow(topology, mergeSamples(samples), LAB_PATH);
    expect(clean.findings).toEqual([]);
    for (const id of LAB_PATH) expect(clean.hops.get(id)?.status).toBe('ok');
    expect(clean.hops.get('hwlab-qrouter-b2/qg-b2')?.status).toBe('idle');
    expect(judgeWindow(labTopology(), null).findings).toEqual([]);
  });

  it('LOC9: one packet in ten thousand is loss (the seed lost 0.01 %)', () => {
    expect(LOSS_MIN_DROPS).toBe(1);
    const topology = labTopology();
    const ifaces = dropAt(flow(topology, LAB_PATH, 10_000), SEED_HOP, 1, TAP_QG);
    const hops = localize(topology, sample({ ifaces }));
    expect(hops.get(SEED_HOP)).toMatchObject({ status: 'loss', drops: 1 });
    expect(hops.get(SEED_HOP)?.lossRatio).toBeCloseTo(1e-4, 8);
  });

  it('LOC10: deltas are non-negative on the wire (wraps and resets are the agent’s job); reports are never negative', () => {
    const bad = sample({ ifaces: { eth0: { rxPackets: -5 } } });
    expect(SampleSchema.safeParse(bad).success).toBe(false);
    // The other way round from a read skew (the receiver read later than the sender): no negative gap.
    const topology = labTopology();
    const ifaces = flow(topology, LAB_PATH, 1000);
    ifaces[SEED_HOP]!.rxPackets! += 50;
    for (const h of localize(topology, sample({ ifaces })).values()) {
      expect(h.drops).toBeGreaterThanOrEqual(0);
      expect(HopReportSchema.safeParse(h).success).toBe(true);
    }
  });

  it('LOC11: a bridge forwarding between its ports is ok, not idle, though its own counters do not move', () => {
    const { topology, samples } = cleanScenario();
    expect(localize(topology, mergeSamples(samples)).get('hwlab-node/br-int')).toMatchObject({
      status: 'ok',
      rxPackets: 0,
      txPackets: 0,
    });
  });
});

describe('loss localisation on real-host noise', () => {
  it('LOC5: local IPC frees (unix sockets, netlink, SOCKET_CLOSE) are not network drops', () => {
    const drops = [
      { reason: 'SOCKET_CLOSE', location: 'unix_release_sock', cpu: 0, count: 14 },
      { reason: 'NOT_SPECIFIED', location: 'unix_stream_read_generic', cpu: 1, count: 2 },
      { reason: 'NOT_SPECIFIED', location: 'netlink_broadcast_filtered', cpu: 1, count: 3 },
    ];
    expect(judgeWindow(labTopology(), sample({ drops })).findings).toEqual([]);
  });

  it('LOC5: TCP’s own protocol decisions (old data, data on a closing socket) are not drops on a hop', () => {
    const drops = [
      { reason: 'TCP_OLD_DATA', location: 'tcp_rcv_established', cpu: 0, count: 4 },
      { reason: 'TCP_ABORT_ON_DATA', location: 'tcp_v4_do_rcv', cpu: 1, count: 9 },
      { reason: 'NOT_SPECIFIED', location: 'tcp_v4_rcv', cpu: 1, count: 5 },
    ];
    expect(judgeWindow(labTopology(), sample({ drops })).findings).toEqual([]);
  });

  it('LOC12: when the trace ring overran, findings quoting drop reasons say the counts are a lower bound', () => {
    const { topology, samples } = seedScenario({ tracing: { state: 'on', detail: null, lost: 1200 } });
    const f = judgeWindow(topology, mergeSamples(samples)).findings[0];
    expect(f?.evidence.at(-1)).toBe(
      'tracing lost 1 200 events in this window: kfree_skb counts are a lower bound',
    );
  });
});
