import { describe, expect, it } from 'vitest';
import {
  DiagnosisSchema,
  diagnose,
  findPath,
  mergeSamples,
  type Sample,
  SampleSchema,
  type Topology,
  TopologySchema,
  topologyEdges,
} from '../src/index.ts';
import clean from './fixtures/real/ovs-clean.json' with { type: 'json' };
import flowDrop from './fixtures/real/ovs-flow-drop.json' with { type: 'json' };
import patchPeer from './fixtures/real/ovs-patch-peer.json' with { type: 'json' };

const CAPTURES: Record<string, unknown> = { clean, flowDrop, patchPeer };
function capture(name: string) {
  const raw = CAPTURES[name] as { topology: unknown; samples: unknown };
  return { topology: TopologySchema.parse(raw.topology), samples: SampleSchema.array().parse(raw.samples) };
}
const WAN = 'hwlab-up/wan0';
const QG = 'hwlab-qrouter-a1/qg-a1';
const VM = 'hwlab-vm1/eth0';
const judge = (name: string, from: string | null = WAN, to: string | null = QG, samples?: Sample[]) => {
  const c = capture(name);
  const d = diagnose({ host: 'vm', topology: c.topology, samples: samples ?? c.samples, from, to });
  DiagnosisSchema.strict().parse(d);
  return d;
};

const OVS_PATH = [
  WAN,
  'hwlab-node/eno1',
  'hwlab-node/br-ex',
  'hwlab-node/phy-br-ex',
  'hwlab-node/int-br-ex',
  'hwlab-node/br-int',
  'hwlab-node/tap-qg-a1',
  QG,
];

describe('Open vSwitch topology and paths (OVS, real lab captures)', () => {
  it('PATH10 (real): the inbound path crosses br-ex, the patch ports and br-int: the same eight hops as the Linux lab', () => {
    const { topology } = capture('clean');
    expect(findPath(topology, WAN, QG)).toEqual({ ok: true, path: OVS_PATH });
    const kinds = new Map(topology.ifaces.map((i) => [i.id, i.kind]));
    expect(kinds.get('hwlab-node/phy-br-ex')).toBe('ovs-patch');
    expect(kinds.get('hwlab-node/br-int')).toBe('ovs');
  });

  it('PATH11 (real): br-int keeps its local VLANs apart: the VM is reached through the router, br-int crossed once per VLAN', () => {
    const { topology } = capture('clean');
    expect(findPath(topology, WAN, VM)).toEqual({
      ok: true,
      path: [
        ...OVS_PATH,
        'hwlab-qrouter-a1/qr-a1',
        'hwlab-node/tap-qr-a1',
        'hwlab-node/br-int',
        'hwlab-node/tap-vm1',
        VM,
      ],
    });
    // Without the tags br-int would be one flat segment and the frame would go straight to the VM.
    const flat: Topology = {
      ...topology,
      ifaces: topology.ifaces.map((i) => (i.ovs ? { ...i, ovs: { ...i.ovs, tag: null } } : i)),
    };
    const r = findPath(flat, WAN, VM);
    expect(r.ok && r.path.includes('hwlab-qrouter-a1/qr-a1')).toBe(false);
  });

  it('PATH12: a trunk carries the VLANs it lists; a frame keeps its tag across a patch between trunks', () => {
    const { topology } = capture('clean');
    const set = (ovs: Record<string, { tag: number | null; trunks: number[] }>): Topology => ({
      ...topology,
      ifaces: topology.ifaces.map((i) =>
        i.ovs && ovs[i.id] ? { ...i, ovs: { ...i.ovs, ...ovs[i.id] } } : i,
      ),
    });
    // eno1 puts the uplink in VLAN 1 of br-ex; the patch is a trunk on both sides.
    const trunked = (intTrunks: number[]) =>
      set({
        'hwlab-node/eno1': { tag: 1, trunks: [] },
        'hwlab-node/phy-br-ex': { tag: null, trunks: [1] },
        'hwlab-node/int-br-ex': { tag: null, trunks: intTrunks },
      });
    expect(findPath(trunked([1]), WAN, QG)).toEqual({ ok: true, path: OVS_PATH });
    expect(findPath(trunked([]), WAN, QG)).toEqual({ ok: true, path: OVS_PATH });
    expect(findPath(trunked([2]), WAN, QG).ok).toBe(false);
  });

  it('PATH13 (real): a patch port whose peer is missing joins nothing: no path across it', () => {
    const { topology } = capture('patchPeer');
    expect(topology.ifaces.find((i) => i.id === 'hwlab-node/phy-br-ex')!.peer).toBeNull();
    expect(findPath(topology, WAN, QG).ok).toBe(false);
  });

  it('GRAPH1 (real): a patch pair is one `patch` edge; OVS ports are bridge-port edges of their bridge', () => {
    const edges = topologyEdges(capture('clean').topology);
    expect(edges).toContainEqual(
      expect.objectContaining({
        kind: 'patch',
        source: 'hwlab-node/int-br-ex',
        target: 'hwlab-node/phy-br-ex',
      }),
    );
    expect(edges.filter((e) => e.kind === 'patch')).toHaveLength(2);
    expect(edges).toContainEqual(
      expect.objectContaining({
        kind: 'bridge-port',
        source: 'hwlab-node/tap-vm1',
        target: 'hwlab-node/br-int',
      }),
    );
  });
});

describe('Open vSwitch rules (real lab captures)', () => {
  it('R13 (real, OVS): an OpenFlow drop rule on br-int is loss on br-int, naming the table and the flow', () => {
    const d = judge('flowDrop');
    const [first] = d.findings;
    expect(first).toMatchObject({ rule: 'R13', severity: 'loss', hop: 'hwlab-node/br-int' });
    expect(first!.evidence.join('\n')).toMatch(
      /br-int table 0: flow "table=0, priority=200,udp,nw_dst=203\.0\.113\.10 actions=drop"/,
    );
    expect(first!.count).toBeGreaterThan(1000);
    expect(d.hops.find((h) => h.id === 'hwlab-node/br-int')).toMatchObject({
      status: 'loss',
      rules: ['R13'],
    });
    expect(d.findings.filter((f) => f.severity === 'loss').map((f) => f.rule)).toEqual(['R13']);
  });

  it('R25 (real, OVS): a patch port whose peer does not exist is loss on that port; its partner is a warning', () => {
    const d = judge('patchPeer', null, null);
    const loss = d.findings.filter((f) => f.severity === 'loss');
    expect(loss.map((f) => [f.rule, f.hop])).toEqual([['R25', 'hwlab-node/phy-br-ex']]);
    expect(loss[0]!.title).toMatch(/peer "int-br-ex-gone" does not exist/);
    expect(d.findings).toContainEqual(
      expect.objectContaining({ rule: 'R25', hop: 'hwlab-node/int-br-ex', severity: 'warn' }),
    );
  });

  it("R25 (real, OVS): a port off the path with no OpenFlow port on a busy br-int is a warning, not its neighbours' loss", () => {
    const c = capture('clean');
    const topology = {
      ...c.topology,
      ifaces: c.topology.ifaces.map((i) =>
        i.id === 'hwlab-node/tap-qr-b2' ? { ...i, ovs: { ...i.ovs!, ofport: null } } : i,
      ),
    };
    const d = diagnose({ host: 'vm', topology, samples: c.samples, from: WAN, to: QG });
    expect(d.findings).toContainEqual(
      expect.objectContaining({ rule: 'R25', hop: 'hwlab-node/tap-qr-b2', severity: 'warn' }),
    );
    expect(d.findings.filter((f) => f.severity === 'loss')).toEqual([]);
  });

  it('R21: upcalls lost by the datapath and OVS drop coverage are loss on the datapath bridge on the path', () => {
    const { samples } = capture('clean');
    const extra: Sample = {
      ...samples.at(-1)!,
      t: samples.at(-1)!.t + 1000,
      ifaces: {},
      drops: [],
      ovs: {
        state: 'online',
        detail: null,
        datapaths: [{ name: 'netdev@ovs-netdev', hit: 10, missed: 500, lost: 120, flows: 3 }],
        coverage: { drop_action_of_pipeline: 5, drop_action_no_route: 7 },
      },
    };
    const d = judge('clean', WAN, QG, [...samples, extra]);
    const r21 = d.findings.filter((f) => f.rule === 'R21');
    // Both causes on the same bridge: one finding (rule + hop), the counts added.
    expect(r21.map((f) => [f.hop, f.count])).toEqual([['hwlab-node/br-ex', 127]]);
    expect(r21[0]!.evidence.join('\n')).toMatch(/lost \+120/);
    expect(r21[0]!.evidence.join('\n')).toMatch(/coverage drop_action_no_route \+7/);
    expect(r21[0]!.evidence.join('\n')).not.toMatch(/of_pipeline/);
  });

  it('OVS clean (real): no loss anywhere, the OVS lab path and the VM path judged ok', () => {
    expect(judge('clean').findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(judge('clean', WAN, VM).findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });
});

describe('Open vSwitch on the wire (PROTO8, WIN5)', () => {
  it('PROTO8: `Sample.ovs` and `Iface.ovs` are optional; an interface kind this build does not know decodes as other', () => {
    const { topology } = capture('clean');
    const iface = { ...topology.ifaces[0]!, kind: 'some-future-kind' };
    expect(TopologySchema.parse({ ...topology, ifaces: [iface] }).ifaces[0]!.kind).toBe('other');
    const { ovs: _ovs, ...old } = capture('flowDrop').samples[0]!;
    expect(SampleSchema.safeParse(old).success).toBe(true);
  });

  it('WIN5: over a window, datapath lookups, drop coverage and drop flows add up; the flow count and state are the newest', () => {
    const base = capture('clean').samples[0]!;
    const s = (t: number, ovs: Sample['ovs']): Sample => ({ ...base, t, ovs });
    const flow = { bridge: 'br-int', table: 0, priority: 1, match: 'udp', cookie: '0x0' };
    const w = mergeSamples([
      s(2, {
        state: 'offline',
        detail: 'ECONNREFUSED',
        datapaths: [{ name: 'd', hit: 1, missed: 2, lost: 3, flows: 9 }],
        coverage: { drop_action_no_route: 1 },
        dropFlows: [{ ...flow, packets: 5 }],
      }),
      s(1, {
        state: 'online',
        detail: null,
        datapaths: [{ name: 'd', hit: 1, missed: 1, lost: 1, flows: 4 }],
        coverage: { drop_action_no_route: 2 },
        dropFlows: [{ ...flow, packets: 6 }],
      }),
    ])!;
    expect(w.ovs).toEqual({
      state: 'offline',
      detail: 'ECONNREFUSED',
      datapaths: [{ name: 'd', hit: 2, missed: 3, lost: 4, flows: 9 }],
      coverage: { drop_action_no_route: 3 },
      dropFlows: [{ ...flow, packets: 11 }],
    });
  });
});
