import type { Iface, Topology } from '../protocol/model.ts';
import { type RouteTable, routeTables } from './routes.ts';

/**
 * A topology's lookups, built once per topology instead of once per question: path finding on a
 * 3000-interface host asked a scan over every interface for each step (bridge ports, upper
 * devices, the target's segment) and rebuilt every namespace's route table per call.
 */
export interface TopoIndex {
  byId: ReadonlyMap<string, Iface>;
  /** Bridge (master) id → its ports, in topology order. */
  ports: ReadonlyMap<string, readonly Iface[]>;
  /** Lower device id → the devices stacked on it (vlan, macvlan…), in topology order. */
  uppers: ReadonlyMap<string, readonly Iface[]>;
  /** Device id → every interface whose master or lower it is, in topology order (each once). */
  linked: ReadonlyMap<string, readonly Iface[]>;
  /**
   * Where each interface's peer is in `topology.ifaces` (the one `byId` gives), -1 for none: the
   * judge reads a veth's counters and its peer's by position every window (facts.ts).
   */
  peerAt: readonly number[];
  tables: ReadonlyMap<string, RouteTable>;
  /** Namespaces with ip_forward on. */
  forwarding: ReadonlySet<string>;
}

function push(map: Map<string, Iface[]>, key: string, i: Iface): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [i]);
  else list.push(i);
}

function build(topology: Topology): TopoIndex {
  const ports = new Map<string, Iface[]>();
  const uppers = new Map<string, Iface[]>();
  const linked = new Map<string, Iface[]>();
  for (const i of topology.ifaces) {
    if (i.master !== null) push(ports, i.master, i);
    if (i.lower !== null) push(uppers, i.lower, i);
    if (i.master !== null) push(linked, i.master, i);
    if (i.lower !== null && i.lower !== i.master) push(linked, i.lower, i);
  }
  // Like byId, the last interface of an id wins.
  const at = new Map(topology.ifaces.map((i, k) => [i.id, k]));
  return {
    byId: new Map(topology.ifaces.map((i) => [i.id, i])),
    peerAt: topology.ifaces.map((i) => (i.peer === null ? -1 : (at.get(i.peer) ?? -1))),
    ports,
    uppers,
    linked,
    tables: routeTables(topology),
    forwarding: new Set(topology.namespaces.filter((n) => n.forwarding).map((n) => n.name)),
  };
}

interface Memo {
  index: TopoIndex;
  /** What the index was built from: a list replaced or grown in place builds it again. */
  ifaces: readonly Iface[];
  ifaceCount: number;
  routes: Topology['routes'];
  routeCount: number;
  namespaces: Topology['namespaces'];
  namespaceCount: number;
}

const memo = new WeakMap<Topology, Memo>();

/**
 * The index of a topology, memoised on the object (topologies are values: a new one arrives
 * whole). Lists replaced or pushed to since (tests build topologies that way) are noticed; an
 * interface edited in place is not, so do not edit one after asking.
 */
export function topoIndex(topology: Topology): TopoIndex {
  const m = memo.get(topology);
  if (
    m !== undefined &&
    m.ifaces === topology.ifaces &&
    m.ifaceCount === topology.ifaces.length &&
    m.routes === topology.routes &&
    m.routeCount === topology.routes.length &&
    m.namespaces === topology.namespaces &&
    m.namespaceCount === topology.namespaces.length
  )
    return m.index;
  const index = build(topology);
  memo.set(topology, {
    index,
    ifaces: topology.ifaces,
    ifaceCount: topology.ifaces.length,
    routes: topology.routes,
    routeCount: topology.routes.length,
    namespaces: topology.namespaces,
    namespaceCount: topology.namespaces.length,
  });
  return index;
}
