import type { Iface, Topology } from '../protocol/model.ts';
import { isRoutable, networkOf, type Prefix, parsePrefix } from './cidr.ts';
import { resolveIface } from './closest.ts';
import { type TopoIndex, topoIndex } from './topoIndex.ts';
import { egressAllowed, egressTag, ingressVlan, isOvsBridge } from './ovs-path.ts';

export type PathResult = { ok: true; path: string[] } | { ok: false; error: string; suggestions: string[] };

/**
 * A packet is either being sent out of a device (`out`) or has just been received by one
 * (`in`). The two matter: a veth that sends hands the packet to its peer, one that receives hands
 * it to its bridge or to its namespace's IP stack; searching over (device, direction) keeps a
 * path from "receiving" on a device and then "sending" it back out of the same port.
 */
type Dir = 'in' | 'out';
interface State {
  id: string;
  dir: Dir;
  /**
   * The VLAN tag the frame carries (null: untagged); inside an Open vSwitch bridge, the VLAN it is
   * switched in (so one bridge is crossed once per VLAN, as br-int is: uplink → router → VM).
   */
  vlan?: number | null;
}
const key = (s: State) => `${s.dir}|${s.id}${s.vlan == null ? '' : `|${s.vlan}`}`;

function addressesOf(i: Iface): Prefix[] {
  return i.addresses.map(parsePrefix).filter((p): p is Prefix => p !== null && isRoutable(p));
}

/**
 * Where the packet is addressed to: the target's own addresses, or, for an address-less target
 * (a bridge port, a tap), the subnets of its layer-2 neighbourhood: the router has to send the
 * packet onto that segment for it to reach the target.
 */
function destinations(index: TopoIndex, target: Iface): Prefix[] {
  // The target's own addresses as host routes would see them: 10.10.0.5/24 is 10.10.0.5/32 here.
  const own = addressesOf(target).map((p) => ({ ...p, len: p.family === 4 ? 32 : 128 }));
  if (own.length > 0) return own;
  const { byId } = index;
  const seen = new Set([target.id]);
  const queue = [target];
  const found: Prefix[] = [];
  for (let head = 0, i = queue[0]; i !== undefined; i = queue[++head]) {
    found.push(...addressesOf(i).map(networkOf));
    const linked = (index.linked.get(i.id) ?? []).map((x) => x.id);
    for (const n of [i.peer, i.master, i.lower, ...linked]) {
      const iface = n === null ? undefined : byId.get(n);
      if (iface && !seen.has(iface.id)) {
        seen.add(iface.id);
        queue.push(iface);
      }
    }
  }
  return found;
}

/**
 * Ordered hops from one interface id to another, the way the kernel would forward: veth peers,
 * bridge ports (port → bridge → port; the bridge device is a hop), upper/lower devices, and
 * routing inside namespaces with ip_forward by longest-prefix match of the destination. Breadth
 * first, so the shortest way wins and a namespace that is not on the way is never entered.
 * Ids may also be bare names that only one namespace has.
 * @example findPath(lab, 'hwlab-up/wan0', 'hwlab-qrouter-a1/qg-a1') // 8 hops through br-ex and br-int
 */
export function findPath(topology: Topology, from: string, to: string): PathResult {
  const src = resolveIface(topology, from);
  if (!src.ok) return src;
  const dst = resolveIface(topology, to);
  if (!dst.ok) return dst;
  if (src.id === dst.id) return { ok: true, path: [src.id] };

  // Adjacency and route tables come from the topology's index (built once per topology), not
  // from scans per call or per step: a 3000-interface host answers in well under a millisecond.
  const index = topoIndex(topology);
  const { byId, tables, forwarding, ports, uppers } = index;
  const target = byId.get(dst.id)!;
  const dests = destinations(index, target);
  const targetIsLocal = target.master === null && addressesOf(target).length > 0;

  const next = (s: State, prev: State | null): State[] => {
    const i = byId.get(s.id);
    if (!i) return [];
    const out: State[] = [];
    const vlan = s.vlan ?? null;
    if (s.dir === 'out') {
      if (i.peer !== null) out.push({ id: i.peer, dir: 'in', vlan });
      for (const p of ports.get(i.id) ?? []) out.push({ id: p.id, dir: 'out', vlan });
      if (i.lower !== null) out.push({ id: i.lower, dir: 'out' });
      return out;
    }
    // A bridge port's frames belong to its bridge's rx handler, never to the IP stack.
    if (i.master !== null) {
      const inBridge = enterBridge(byId.get(i.master), i, vlan);
      return inBridge === undefined ? [] : [{ id: i.master, dir: 'in', vlan: inBridge }];
    }
    // A bridge never sends a frame back out of the port it came in on (no hairpin by default).
    out.push(...bridgeEgress(i, prev, vlan, ports.get(i.id) ?? []));
    for (const u of uppers.get(i.id) ?? []) out.push({ id: u.id, dir: 'in' });
    if (targetIsLocal && target.netns === i.netns) out.push({ id: target.id, dir: 'in' });
    const table = tables.get(i.netns);
    if (forwarding.has(i.netns) && table) {
      for (const d of dests) {
        const dev = table.lookup(d);
        if (dev !== null && dev !== i.id) out.push({ id: dev, dir: 'out' });
      }
    }
    return out;
  };

  const starts: State[] = [
    { id: src.id, dir: 'out' },
    { id: src.id, dir: 'in' },
  ];
  const parent = new Map<string, State | null>(starts.map((s) => [key(s), null]));
  const queue = [...starts];
  // A moving head, not shift(): the queue of a big host's bridge holds thousands of states.
  for (let head = 0, s = queue[0]; s !== undefined; s = queue[++head]) {
    for (const n of next(s, parent.get(key(s)) ?? null)) {
      if (parent.has(key(n))) continue;
      parent.set(key(n), s);
      if (n.id === dst.id) return { ok: true, path: unwind(parent, n) };
      queue.push(n);
    }
  }
  return {
    ok: false,
    error: `no path from ${src.id} to ${dst.id}: no link, bridge or route (in a namespace with ip_forward) connects them`,
    suggestions: [],
  };
}

/** The ports a bridge forwards a frame to; an Open vSwitch bridge keeps its VLANs apart (ovs-path.ts). */
function bridgeEgress(
  bridge: Iface,
  prev: State | null,
  tag: number | null,
  ports: readonly Iface[],
): State[] {
  const others = ports.filter((p) => p.id !== prev?.id);
  if (!isOvsBridge(bridge)) return others.map((p) => ({ id: p.id, dir: 'out' as const, vlan: tag }));
  const vlan = tag ?? 0;
  return others
    .filter((p) => egressAllowed(p, vlan))
    .map((p) => ({ id: p.id, dir: 'out' as const, vlan: egressTag(p, vlan) }));
}

/**
 * The VLAN state of a frame entering `bridge` by `port`: an OVS bridge's VLAN (undefined: the
 * port does not admit the frame), else the tag as it is.
 */
function enterBridge(bridge: Iface | undefined, port: Iface, tag: number | null): number | null | undefined {
  if (!bridge || !isOvsBridge(bridge)) return tag;
  return ingressVlan(port, tag) ?? undefined;
}

function unwind(parent: Map<string, State | null>, end: State): string[] {
  const ids: string[] = [];
  for (let s: State | null | undefined = end; s; s = parent.get(key(s))) {
    if (ids[0] !== s.id) ids.unshift(s.id);
  }
  return ids;
}
