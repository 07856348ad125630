import { TopologySchema } from '@hopwatch/shared';
import { describe, expect, it } from 'vitest';
import type { NsEntry } from '../src/discovery/namespaces.ts';
import type { NsProbe } from '../src/discovery/probe.ts';
import { buildTopology, ifaceKind } from '../src/discovery/topology.ts';
import { parseIpLinks } from '../src/parse/iplink.ts';
import { parseForwarding, parseIpRoutes, parseNsidList } from '../src/parse/iproute.ts';
import { splitJsonDocuments } from '../src/parse/json.ts';
import { parseQdiscs } from '../src/parse/qdisc.ts';
import { fixture } from './support/fixtures.ts';

/** The captured lab: host ⇄ hwt-ag-xc (hwtagh0/hv0), bridges br0/br1 in xa, veths to xb and xc. */
function probeOf(
  name: string,
  file: string,
  kind: NsEntry['kind'] = name === '' ? 'host' : 'named',
): NsProbe {
  const [links, routes, netconf, nsids] = splitJsonDocuments(fixture(`ip/${file}.batch.json`));
  return {
    ns: { name, inode: name.length, kind, pid: null, via: null, sysDev: null },
    links: parseIpLinks(links ?? null),
    routes: parseIpRoutes(routes ?? null),
    forwarding: parseForwarding(netconf ?? null),
    rpFilter: {},
    nsids: parseNsidList(nsids ?? null),
    rps: new Map(),
    left: { ifaces: 0, routes: 0, addresses: 0 },
    ignored: [],
  };
}
const facts = { host: 'hv1', kernel: '6.18', cpus: 2 };
const all = () => [
  probeOf('', 'host'),
  probeOf('hwt-ag-xa', 'hwt-ag-xa'),
  probeOf('hwt-ag-xb', 'hwt-ag-xb'),
  probeOf('hwt-ag-xc', 'hwt-ag-xc'),
];

describe('topology from ip -j -d batches', () => {
  const topo = buildTopology(facts, all());
  const byId = new Map(topo.ifaces.map((i) => [i.id, i]));

  it('TOPO1: the result is a valid Topology with ids NETNS/IFNAME', () => {
    expect(TopologySchema.safeParse(topo).success).toBe(true);
    expect(byId.has('eth0')).toBe(true);
    expect(byId.has('hwt-ag-xa/br0')).toBe(true);
  });

  it('TOPO2: veth peers are exact across namespaces, from link-netnsid + peer ifindex', () => {
    expect(byId.get('hwt-ag-xa/hwtagv0')!.peer).toBe('hwt-ag-xb/eth0');
    expect(byId.get('hwt-ag-xb/eth0')!.peer).toBe('hwt-ag-xa/hwtagv0');
    // Both xb and xc call their end eth0: names alone could not tell these pairs apart.
    expect(byId.get('hwt-ag-xa/v1')!.peer).toBe('hwt-ag-xc/eth0');
    expect(byId.get('hwtagh0')!.peer).toBe('hwt-ag-xc/hv0');
    expect(byId.get('hwt-ag-xc/hv0')!.peer).toBe('hwtagh0');
  });

  it('TOPO3: bridge ports point at their bridge with the STP port state', () => {
    expect(byId.get('hwt-ag-xa/v1')).toMatchObject({ master: 'hwt-ag-xa/br1', portState: 'forwarding' });
    expect(byId.get('hwt-ag-xa/hwtagv0')!.master).toBe('hwt-ag-xa/br0');
    expect(byId.get('hwt-ag-xa/br0')).toMatchObject({ kind: 'bridge', master: null, portState: null });
  });

  it('TOPO4: upper → lower for vxlan and macvlan, with vxlan parameters', () => {
    expect(byId.get('hwt-ag-xa/vx0')).toMatchObject({
      kind: 'vxlan',
      lower: 'hwt-ag-xa/br0',
      vxlan: { vni: 42, port: 4789, local: '10.251.0.1', remote: '10.251.0.2' },
    });
    expect(byId.get('hwt-ag-xa/mv0')).toMatchObject({ kind: 'macvlan', lower: 'hwt-ag-xa/br1' });
  });

  it('TOPO5: kinds, MTU, state and addresses as the kernel reports them', () => {
    expect(byId.get('eth0')).toMatchObject({
      kind: 'physical',
      mtu: 1400,
      adminUp: true,
      carrier: true,
      qdisc: 'pfifo_fast',
    });
    expect(byId.get('lo')).toMatchObject({ kind: 'loopback', mac: null });
    expect(byId.get('hwt-ag-xa/tapx')!.kind).toBe('tap');
    expect(byId.get('hwt-ag-xa/tun0')!.kind).toBe('tun');
    expect(byId.get('ifb0')!.kind).toBe('other');
    expect(byId.get('hwt-ag-xc/eth0')).toMatchObject({
      mtu: 1400,
      addresses: ['10.251.1.2/24', expect.stringMatching(/^fe80::/)],
    });
    expect(byId.get('hwt-ag-xc/hv0')).toMatchObject({
      operstate: 'down',
      adminUp: false,
      carrier: null,
      qdisc: 'tbf',
    });
  });

  it('TOPO6: routes name their device by id; forwarding is per namespace', () => {
    expect(topo.routes).toContainEqual({
      netns: 'hwt-ag-xb',
      dst: 'default',
      dev: 'hwt-ag-xb/eth0',
      via: '10.251.0.1',
      src: null,
    });
    expect(topo.namespaces.find((n) => n.name === 'hwt-ag-xa')!.forwarding).toBe(true);
    expect(topo.namespaces.find((n) => n.name === 'hwt-ag-xb')!.forwarding).toBe(false);
  });

  it('TOPO7: without an nsid name, a pair is matched by mutual ifindex only when unique', () => {
    // xc seen as an unnamed namespace: the host's nsid table names "hwt-ag-xc", which no longer exists.
    const unnamed = { ...probeOf('ns-4026532315', 'hwt-ag-xc', 'unnamed') };
    const t = buildTopology(facts, [probeOf('', 'host'), unnamed]);
    const ids = new Map(t.ifaces.map((i) => [i.id, i]));
    expect(ids.get('hwtagh0')!.peer).toBe('ns-4026532315/hv0');
    expect(ids.get('ns-4026532315/eth0')!.peer).toBeNull(); // its peer's namespace is not watched
    // Two identical candidates: ambiguous, so no edge rather than a wrong one.
    const twin = probeOf('ns-1', 'hwt-ag-xc', 'unnamed');
    const t2 = buildTopology(facts, [probeOf('', 'host'), unnamed, twin]);
    expect(t2.ifaces.find((i) => i.id === 'hwtagh0')!.peer).toBeNull();
  });

  it('TOPO8: kinds map from info_kind', () => {
    const link = parseIpLinks(JSON.parse(fixture('ip/hwt-ag-xa.batch.json').split('\n')[0]!)).find(
      (l) => l.name === 'v1',
    )!;
    expect(ifaceKind(link)).toBe('veth');
    expect(ifaceKind({ ...link, infoKind: 'openvswitch' })).toBe('ovs');
    expect(ifaceKind({ ...link, infoKind: null, parentBus: null })).toBe('other');
  });
});

describe('tc -s -j qdisc', () => {
  it('QD1: root qdiscs that queue, by device; noqueue is skipped', () => {
    const q = parseQdiscs(JSON.parse(fixture('tc/hwt-ag-xc.json')));
    expect([...q.keys()]).toEqual(['hv0']);
    expect(q.get('hv0')).toMatchObject({ kind: 'tbf', drops: 0, qlen: 0 });
    expect(parseQdiscs(JSON.parse(fixture('tc/host.json'))).get('eth0')!.kind).toBe('pfifo_fast');
    // `qdisc show dev eth0` answers without the device name: the caller supplies it.
    const one = JSON.parse(fixture('tc/host-dev-eth0.json'));
    expect(parseQdiscs(one).size).toBe(0);
    expect(parseQdiscs(one, 'eth0').get('eth0')!.kind).toBe('pfifo_fast');
  });
});
