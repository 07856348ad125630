import type { Iface, Topology, TopoEdge } from '@hopwatch/shared';
import { summaryId, type ViewEdge, type ViewGraph, type ViewNode } from './types.ts';

/** Above this many interfaces a host opens collapsed: a DOM canvas stays quick up to a few hundred nodes. */
export const BIG_HOST_IFACES = 200;
/** …and only namespaces with more interfaces than this fold into one group node. */
export const COLLAPSE_MIN_IFACES = 3;

/**
 * Infrastructure stays visible inside a collapsed namespace: the uplink NIC, bridges, tunnels.
 * Folding them would hide the spine of the datapath; the ports hanging off them are what fold.
 */
export const SPINE_KINDS: ReadonlySet<string> = new Set(['physical', 'bridge', 'vxlan', 'ovs']);

export interface ViewOptions {
  /** Namespace → collapsed, where the operator chose; others follow `defaultCollapsed`. */
  overrides: ReadonlyMap<string, boolean>;
  /** Always shown even inside a collapsed namespace: the path, the selection, the loss hops. */
  pinned: ReadonlySet<string>;
  /** Loopbacks carry no datapath; hidden unless pinned or asked for. */
  showLoopback: boolean;
}

function countByNetns(topology: Topology): Map<string, number> {
  const counts = new Map<string, number>();
  for (const i of topology.ifaces)
    if (i.kind !== 'loopback') counts.set(i.netns, (counts.get(i.netns) ?? 0) + 1);
  return counts;
}

export function defaultCollapsed(topology: Topology): Set<string> {
  const out = new Set<string>();
  if (topology.ifaces.length <= BIG_HOST_IFACES) return out;
  for (const [ns, n] of countByNetns(topology)) if (n > COLLAPSE_MIN_IFACES) out.add(ns);
  return out;
}

let memo: { topology: Topology; overrides: ReadonlyMap<string, boolean>; out: Set<string> } | null = null;

/** Collapsed namespaces (memoised on its two inputs: the store asks on every tick). */
export function collapsedSet(
  topology: Topology,
  overrides: ReadonlyMap<string, boolean>,
): ReadonlySet<string> {
  if (memo !== null && memo.topology === topology && memo.overrides === overrides) return memo.out;
  const out = defaultCollapsed(topology);
  for (const [ns, c] of overrides) {
    if (c) out.add(ns);
    else out.delete(ns);
  }
  memo = { topology, overrides, out };
  return out;
}

const hostPart = (cidr: string) => cidr.split('/')[0] ?? cidr;

/**
 * The uplink, found from routes rather than names: the interface that holds the gateway address
 * of some other namespace's default route, in a namespace that itself has none (the top of the
 * chain). Then physical NICs. Path order on the map then reads like the datapath.
 */
export function uplinkCandidates(topology: Topology): string[] {
  const withDefault = new Set(topology.routes.filter((r) => r.dst === 'default').map((r) => r.netns));
  const gateways = new Map<string, string>();
  for (const r of topology.routes) if (r.dst === 'default' && r.via !== null) gateways.set(r.via, r.netns);
  const out: string[] = [];
  for (const i of topology.ifaces) {
    if (withDefault.has(i.netns)) continue;
    if (i.addresses.some((a) => gateways.has(hostPart(a)) && gateways.get(hostPart(a)) !== i.netns))
      out.push(i.id);
  }
  for (const i of topology.ifaces) if (i.kind === 'physical') out.push(i.id);
  return out;
}

/**
 * Routing inside a forwarding namespace is not a kernel edge, but the map should show the
 * packet crossing it: a star from the default route's device to the other addressed ports.
 */
export function routeEdges(topology: Topology): TopoEdge[] {
  const byNs = new Map<string, Iface[]>();
  for (const i of topology.ifaces) {
    if (i.kind === 'loopback' || i.addresses.length === 0) continue;
    const list = byNs.get(i.netns) ?? [];
    list.push(i);
    byNs.set(i.netns, list);
  }
  const out: TopoEdge[] = [];
  for (const ns of topology.namespaces) {
    if (!ns.forwarding) continue;
    const ports = (byNs.get(ns.name) ?? []).sort((a, b) => (a.id < b.id ? -1 : 1));
    if (ports.length < 2) continue;
    const dflt = topology.routes.find((r) => r.netns === ns.name && r.dst === 'default')?.dev;
    const hub = ports.find((p) => p.id === dflt) ?? ports[0]!;
    for (const p of ports) {
      if (p !== hub) out.push({ id: `route:${hub.id}|${p.id}`, kind: 'lower', source: hub.id, target: p.id });
    }
  }
  return out;
}

export function buildViewGraph(topology: Topology, edges: readonly TopoEdge[], opts: ViewOptions): ViewGraph {
  const collapsed = collapsedSet(topology, opts.overrides);
  const visibleId = new Map<string, string>();
  const nodes: ViewNode[] = [];
  const summaries = new Set<string>();
  for (const i of topology.ifaces) {
    const pinned = opts.pinned.has(i.id) || SPINE_KINDS.has(i.kind);
    if (i.kind === 'loopback' && !opts.showLoopback && !pinned) continue;
    if (!collapsed.has(i.netns) || pinned) {
      visibleId.set(i.id, i.id);
      nodes.push({ id: i.id, kind: 'iface', lane: i.netns });
      continue;
    }
    const sid = summaryId(i.netns);
    visibleId.set(i.id, sid);
    if (!summaries.has(sid)) {
      summaries.add(sid);
      nodes.push({ id: sid, kind: 'summary', lane: i.netns });
    }
  }
  const out = new Map<string, ViewEdge>();
  const add = (kind: ViewEdge['kind'], a: string, b: string) => {
    const source = visibleId.get(a);
    const target = visibleId.get(b);
    if (source === undefined || target === undefined || source === target) return;
    const id = `${kind}:${source}|${target}`;
    if (!out.has(id)) out.set(id, { id, kind, source, target });
  };
  for (const e of edges) add(e.kind, e.source, e.target);
  for (const e of routeEdges(topology)) add('route', e.source, e.target);
  const roots = [...new Set(uplinkCandidates(topology).map((id) => visibleId.get(id)))].filter(
    (id): id is string => id !== undefined,
  );
  return { nodes, edges: [...out.values()], roots };
}
