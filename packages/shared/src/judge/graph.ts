import type { Iface, Topology } from '../protocol/model.ts';

/**
 * The edges the kernel itself defines between interfaces. Routing between the ports of a
 * forwarding namespace is not an edge here: it is a decision path finding makes from routes.
 */
export type EdgeKind = 'veth' | 'bridge-port' | 'lower' | 'patch';

export interface TopoEdge {
  /** Stable: `${kind}:${source}|${target}`. */
  id: string;
  kind: EdgeKind;
  /**
   * veth and patch (Open vSwitch patch ports, issue 11): the lexically smaller id (a pair is one
   * edge); bridge-port (Linux or OVS bridge): the port; lower: the upper device.
   */
  source: string;
  /** veth: the other end; bridge-port: the bridge; lower: the lower device. */
  target: string;
}

export function topologyEdges(topology: Topology): TopoEdge[] {
  const known = new Set(topology.ifaces.map((i) => i.id));
  const edges: TopoEdge[] = [];
  const add = (kind: EdgeKind, source: string, target: string) => {
    if (!known.has(source) || !known.has(target)) return;
    edges.push({ id: `${kind}:${source}|${target}`, kind, source, target });
  };
  for (const i of topology.ifaces) {
    if (i.peer !== null && i.id < i.peer) add(i.kind === 'ovs-patch' ? 'patch' : 'veth', i.id, i.peer);
    if (i.master !== null) add('bridge-port', i.id, i.master);
    if (i.lower !== null) add('lower', i.id, i.lower);
  }
  return edges;
}

export function ifacesById(topology: Topology): Map<string, Iface> {
  return new Map(topology.ifaces.map((i) => [i.id, i]));
}
