/**
 * Open vSwitch in the topology (design.md, issue 11). The kernel knows an OVS port only as a
 * device whose master is the datapath (`ovs-system`) — or, with the userspace datapath, as a plain
 * veth or tap; which bridge it belongs to, its VLAN, its peer, lives in OVSDB. So:
 * - every OVS port with a kernel device gets its bridge as `master` and the `ovs` facts;
 * - a bridge is its internal port of the same name (kind `ovs`, with the datapath type);
 * - a port with no kernel device is a hop of its own in OVS's namespace: a patch port (kind
 *   `ovs-patch`, `peer` the other patch port when they name each other), a tunnel port (kind
 *   `vxlan` with its remote, or `other`), or a port whose device is missing (down, no ofport).
 * OVS's namespace is where its bridges' internal devices are (the host on a real node; hwlab-node
 * in the OVS lab, where ovs-vswitchd runs). Pure.
 */
import type { Iface, OvsPort, Topology } from '@hopwatch/shared';
import { ifaceId } from '@hopwatch/shared/ids';
import type { OvsBridgeRow, OvsIface, OvsPortRow, OvsView } from './rows.ts';

/** OVS interfaces that are hops of their own (no kernel device), by id: their counters come from OVSDB. */
export type SyntheticPorts = Map<string, OvsIface>;

/** A Linux interface name: what an id may hold (no '/', 1-15 bytes, not . or ..): anything else stays out. */
const isIfName = (n: string) =>
  n.length > 0 && Buffer.byteLength(n) <= 15 && !/[/\s:]/.test(n) && n !== '.' && n !== '..';

const TUNNELS = new Set([
  'vxlan',
  'geneve',
  'gre',
  'stt',
  'lisp',
  'erspan',
  'ip6gre',
  'ip6erspan',
  'gtpu',
  'bareudp',
]);

/** The namespace holding the most bridge devices; the host's when none or a tie. */
export function ovsNamespace(topology: Topology, view: OvsView): string {
  const counts = new Map<string, number>();
  const names = new Set(view.bridges.map((b) => b.name));
  for (const i of topology.ifaces) if (names.has(i.name)) counts.set(i.netns, (counts.get(i.netns) ?? 0) + 1);
  let best = '';
  let bestN = counts.get('') ?? 0;
  for (const [ns, n] of counts) if (n > bestN) [best, bestN] = [ns, n];
  return best;
}

function ovsFacts(b: OvsBridgeRow, p: OvsPortRow, i: OvsIface, own: boolean): OvsPort {
  return {
    bridge: b.name,
    type: i.type,
    tag: p.tag,
    trunks: p.trunks,
    ofport: i.ofport,
    adminState: i.adminState,
    linkState: i.linkState,
    patchPeer: i.type === 'patch' ? (i.options.get('peer') ?? null) : null,
    remoteIp: i.options.get('remote_ip') ?? null,
    error: i.error,
    datapathType: own ? b.datapathType || 'system' : null,
  };
}

/** Where each OVS interface name is in the kernel: OVS's namespace first, else one unique device elsewhere (an internal port moved into a router namespace). */
function locate(topology: Topology, ovsNs: string): (name: string) => Iface | undefined {
  const byName = new Map<string, Iface[]>();
  for (const i of topology.ifaces) byName.set(i.name, [...(byName.get(i.name) ?? []), i]);
  return (name) => {
    const all = byName.get(name) ?? [];
    const home = all.find((i) => i.netns === ovsNs);
    if (home) return home;
    const moved = all.filter((i) => i.driverKind === 'openvswitch' || i.driverKind === 'tun');
    return moved.length === 1 ? moved[0] : undefined;
  };
}

function syntheticHop(
  id: string,
  ovsNs: string,
  i: OvsIface,
  ovs: OvsPort,
  master: string | null,
  mtu: number,
): Iface {
  const up = i.adminState === 'up';
  const tunnel = TUNNELS.has(i.type);
  const key = i.options.get('key');
  const dstPort = Number(i.options.get('dst_port') ?? '');
  return {
    id,
    netns: ovsNs,
    name: i.name,
    ifindex: 0,
    kind: i.type === 'patch' ? 'ovs-patch' : i.type === 'vxlan' ? 'vxlan' : 'other',
    driverKind: null,
    // A patch port has no MTU of its own: it passes what its bridge passes.
    mtu,
    operstate: i.linkState ?? 'down',
    adminUp: up,
    carrier: up ? i.linkState === 'up' : null,
    mac: null,
    addresses: [],
    qdisc: null,
    txqueuelen: null,
    rpsCpus: null,
    master,
    portState: null,
    peer: null,
    lower: null,
    vxlan: tunnel
      ? {
          vni: key !== undefined && /^\d+$/.test(key) ? Number(key) : null,
          port: Number.isInteger(dstPort) && dstPort > 0 ? dstPort : null,
          local: i.options.get('local_ip') ?? null,
          remote: i.options.get('remote_ip') ?? null,
        }
      : null,
    ovs,
  };
}

/** The kernel topology with OVS's bridges, ports and patch links laid in. */
export function applyOvs(
  topology: Topology,
  view: OvsView | null,
): { topology: Topology; synthetic: SyntheticPorts } {
  const synthetic: SyntheticPorts = new Map();
  if (view === null || view.bridges.length === 0) return { topology, synthetic };
  const ovsNs = ovsNamespace(topology, view);
  const find = locate(topology, ovsNs);
  const changed = new Map<string, Iface>();
  const added: Iface[] = [];
  const taken = new Set(topology.ifaces.map((i) => i.id));
  const bridgeIds = new Map<string, string>();
  for (const b of view.bridges) {
    const dev = find(b.name);
    if (dev) bridgeIds.set(b.name, dev.id);
  }
  const patchIds = new Map<string, { id: string; peer: string | null }>();
  for (const b of view.bridges) {
    const bridgeId = bridgeIds.get(b.name) ?? null;
    for (const p of b.ports) {
      for (const i of p.ifaces) {
        const own = i.name === b.name;
        const facts = ovsFacts(b, p, i, own);
        const dev = i.type === 'patch' || TUNNELS.has(i.type) ? undefined : find(i.name);
        if (dev) {
          const base = changed.get(dev.id) ?? dev;
          changed.set(dev.id, {
            ...base,
            ...(own ? { kind: 'ovs' as const } : { master: bridgeId }),
            ovs: facts,
          });
          continue;
        }
        const id = ifaceId(ovsNs, i.name);
        if (!isIfName(i.name) || taken.has(id)) continue;
        taken.add(id);
        const mtu = topology.ifaces.find((x) => x.id === bridgeId)?.mtu ?? 1500;
        const hop = syntheticHop(id, ovsNs, i, facts, own ? null : bridgeId, mtu);
        added.push(hop);
        synthetic.set(id, i);
        if (i.type === 'patch') patchIds.set(i.name, { id, peer: facts.patchPeer });
      }
    }
  }
  // A patch link is an edge only when the two ports name each other: a peer that is missing, or
  // that points elsewhere, carries nothing (OVS: "No usable peer").
  for (const hop of added) {
    const me = patchIds.get(hop.name);
    const other = me?.peer ? patchIds.get(me.peer) : undefined;
    if (me && other && other.peer === hop.name) hop.peer = other.id;
  }
  const ifaces = [...topology.ifaces.map((i) => changed.get(i.id) ?? i), ...added];
  return { topology: { ...topology, ifaces }, synthetic };
}

/** What of the view shapes the topology (everything but the counters): a rebuild only when it changes. */
export function viewShape(view: OvsView | null): string {
  if (view === null) return '';
  return JSON.stringify(
    view.bridges.map((b) => [
      b.name,
      b.datapathType,
      b.ports.map((p) => [
        p.name,
        p.tag,
        p.trunks,
        p.ifaces.map((i) => [i.name, i.type, [...i.options], i.ofport, i.adminState, i.linkState, i.error]),
      ]),
    ]),
  );
}
