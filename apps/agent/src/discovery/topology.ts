import type { Iface, IfaceKind, Route, Topology } from '@hopwatch/shared';
import { ifaceId } from '@hopwatch/shared/ids';
import type { IpLink } from '../parse/iplink.ts';
import type { NsProbe } from './probe.ts';

export interface HostFacts {
  host: string;
  kernel: string;
  cpus: number;
}

/** Device kind from iproute2's details. A device on a bus (parentbus) is a NIC. */
export function ifaceKind(link: IpLink): IfaceKind {
  if (link.linkType === 'loopback') return 'loopback';
  switch (link.infoKind) {
    case 'veth':
    case 'bridge':
    case 'vxlan':
    case 'dummy':
      return link.infoKind;
    case 'macvlan':
    case 'macvtap':
      return 'macvlan';
    case 'tun':
      return link.tunType === 'tap' ? 'tap' : 'tun';
    case 'openvswitch':
      return 'ovs';
    case null:
      return link.parentBus !== null ? 'physical' : 'other';
    default:
      return 'other';
  }
}

/**
 * Turns per-namespace probes into the Topology. Edges are resolved from kernel identities:
 * a veth's peer is (link-netnsid → namespace, link ifindex → interface), never a name guess.
 * The nsid is relative to the namespace that printed it, so each namespace's own nsid table is
 * used. An nsid that names no `ip netns` name (unnamed namespace, or the host seen from inside)
 * is resolved from the other end when that end is exact; if neither end is, the pair is matched
 * by mutual ifindex only when exactly one candidate exists.
 */
export function buildTopology(facts: HostFacts, probes: NsProbe[]): Topology {
  const nsByIpName = new Map<string, string>();
  for (const p of probes) if (p.ns.kind === 'named') nsByIpName.set(p.ns.name, p.ns.name);
  const byIfindex = new Map<string, Map<number, IpLink>>();
  for (const p of probes) byIfindex.set(p.ns.name, new Map(p.links.map((l) => [l.ifindex, l])));

  /** The namespace an nsid seen from `from` refers to, or undefined when no name says it. */
  const resolveNsid = (from: NsProbe, nsid: number | null): string | undefined => {
    if (nsid === null) return from.ns.name;
    const ipName = from.nsids.get(nsid);
    return ipName ? nsByIpName.get(ipName) : undefined;
  };
  /** The interface a link points at (IFLA_LINK), as [netns, link], when resolvable exactly. */
  const linkTarget = (p: NsProbe, l: IpLink): [string, IpLink] | null => {
    if (l.linkIndex === null) {
      if (l.linkName === null) return null;
      const same = p.links.find((x) => x.name === l.linkName);
      return same ? [p.ns.name, same] : null;
    }
    const ns = resolveNsid(p, l.linkNetnsid);
    const target = ns === undefined ? undefined : byIfindex.get(ns)?.get(l.linkIndex);
    return ns !== undefined && target ? [ns, target] : null;
  };

  const peers = new Map<string, string>();
  const unresolved: { p: NsProbe; l: IpLink }[] = [];
  for (const p of probes) {
    for (const l of p.links) {
      if (l.infoKind !== 'veth') continue;
      const t = linkTarget(p, l);
      if (t) {
        peers.set(ifaceId(p.ns.name, l.name), ifaceId(t[0], t[1].name));
        peers.set(ifaceId(t[0], t[1].name), ifaceId(p.ns.name, l.name));
      } else if (l.linkIndex !== null) unresolved.push({ p, l });
    }
  }
  type End = (typeof unresolved)[number];
  const candidates = (a: End): End[] =>
    unresolved.filter((o) => o.p !== a.p && o.l.ifindex === a.l.linkIndex && o.l.linkIndex === a.l.ifindex);
  for (const a of unresolved) {
    const id = ifaceId(a.p.ns.name, a.l.name);
    if (peers.has(id)) continue;
    const [b, ...more] = candidates(a);
    // Unique both ways, or no edge: a wrong edge would send the judgement down the wrong path.
    if (!b || more.length > 0 || candidates(b).length !== 1) continue;
    const bid = ifaceId(b.p.ns.name, b.l.name);
    if (peers.has(bid)) continue;
    peers.set(id, bid);
    peers.set(bid, id);
  }

  // Open vSwitch ports keep the kernel's master here (the datapath, ovs-system): their bridge
  // comes from OVSDB (ovs/topology.ts applies it).
  const masterOf = (ns: string, l: IpLink, names: Set<string>): string | null =>
    l.master !== null && names.has(l.master) ? ifaceId(ns, l.master) : null;

  const ifaces: Iface[] = [];
  const routes: Route[] = [];
  for (const p of probes) {
    const ns = p.ns.name;
    const names = new Set(p.links.map((l) => l.name));
    for (const l of p.links) {
      const id = ifaceId(ns, l.name);
      const kind = ifaceKind(l);
      let lower: string | null = null;
      if (kind !== 'veth') {
        const t = l.vxlan?.link && names.has(l.vxlan.link) ? ([ns, l.vxlan.link] as const) : null;
        const target = t ?? linkTargetName(linkTarget(p, l));
        lower = target ? ifaceId(target[0], target[1]) : null;
      }
      const adminUp = l.flags.includes('UP');
      ifaces.push({
        id,
        netns: ns,
        name: l.name,
        ifindex: l.ifindex,
        kind,
        driverKind: l.infoKind,
        mtu: l.mtu,
        operstate: l.operstate,
        adminUp,
        // The kernel reports carrier only for an interface that is up (sysfs: EINVAL when down).
        carrier: adminUp ? l.flags.includes('LOWER_UP') : null,
        mac: l.linkType === 'loopback' ? null : l.mac,
        addresses: l.addresses,
        qdisc: l.qdisc,
        txqueuelen: l.txqlen,
        rpsCpus: p.rps.get(l.name) ?? null,
        master: masterOf(ns, l, names),
        portState: l.master !== null ? l.portState : null,
        peer: kind === 'veth' ? (peers.get(id) ?? null) : null,
        lower,
        vxlan: l.vxlan
          ? { vni: l.vxlan.vni, port: l.vxlan.port, local: l.vxlan.local, remote: l.vxlan.remote }
          : null,
      });
    }
    for (const r of p.routes) {
      if (!names.has(r.dev)) continue;
      routes.push({ netns: ns, dst: r.dst, dev: ifaceId(ns, r.dev), via: r.via, src: r.src });
    }
  }
  return {
    host: facts.host,
    kernel: facts.kernel,
    cpus: facts.cpus,
    namespaces: probes.map((p) => ({ name: p.ns.name, inode: p.ns.inode, forwarding: p.forwarding })),
    ifaces,
    routes,
  };
}

function linkTargetName(t: [string, IpLink] | null): readonly [string, string] | null {
  return t ? [t[0], t[1].name] : null;
}
