import type { Iface, Topology } from '@hopwatch/shared';
import { type Edge, type Node, type NodeHandle, Position } from '@xyflow/react';
import { cellPosition, laneRect, NODE_H_PX, NODE_W_PX } from '../layout/geometry.ts';
import { GRID_MIN_FOLDED } from '../layout/layered.ts';
import type { LayoutResult, ViewEdgeKind, ViewGraph } from '../layout/types.ts';
import type { KindIconName } from '../ui/icons.tsx';
import { displayKind, forwardingNamespaces } from '../ui/kind.ts';
import { nsRole } from '../ui/names.ts';

export type IfaceNodeData = { name: string; netns: string; kind: KindIconName };
export type SummaryNodeData = {
  netns: string;
  members: string[];
  role: string | null;
  /** Inside its namespace's box (pinned hops shown): the box names it, the node says what is hidden. */
  inLane: boolean;
};
export type LaneNodeData = {
  netns: string;
  members: string[];
  collapsed: boolean;
  total: number;
  /** What the namespace is, when its name or routing says so (router, DHCP, VM…). */
  role: string | null;
  /** A band of the path in path mode (no collapse toggle: the path's hops are always shown). */
  onPath: boolean;
};
export type HopEdgeData = { kind: ViewEdgeKind | 'path' };

export type IfaceFlowNode = Node<IfaceNodeData, 'iface'>;
export type SummaryFlowNode = Node<SummaryNodeData, 'summary'>;
export type LaneFlowNode = Node<LaneNodeData, 'lane'>;
export type FlowNode = IfaceFlowNode | SummaryFlowNode | LaneFlowNode;
export type HopFlowEdge = Edge<HopEdgeData, 'hop'>;

export const laneNodeId = (netns: string) => `lane:${netns}`;

/** React Flow's default handle: 6 px plus a 1 px border, centred on the node's edge. */
const HANDLE_PX = 8;
/**
 * Where a node's handles are, given instead of measured: React Flow draws every node it has not
 * measured yet (culling or not) to find its handles, which on a folded 3000-interface host is
 * ~300 nodes and ~5000 DOM elements created and thrown away on the first picture and again on
 * every new layout (path mode). Known handles let it draw only what is on screen (bench:web).
 */
/**
 * Sizes are known too: said as measured, so "fit view" frames every node, not only those on
 * screen (React Flow fits measured nodes, and a node never drawn is never measured).
 */
const NODE_MEASURED = { width: NODE_W_PX, height: NODE_H_PX };

export const NODE_HANDLES: NodeHandle[] = [
  {
    type: 'target',
    position: Position.Left,
    x: -HANDLE_PX / 2,
    y: NODE_H_PX / 2 - HANDLE_PX / 2,
    width: HANDLE_PX,
    height: HANDLE_PX,
    id: null,
  },
  {
    type: 'source',
    position: Position.Right,
    x: NODE_W_PX - HANDLE_PX / 2,
    y: NODE_H_PX / 2 - HANDLE_PX / 2,
    width: HANDLE_PX,
    height: HANDLE_PX,
    id: null,
  },
];

const membersMemo = new WeakMap<Topology, Map<string, string[]>>();
/** Interface ids per namespace, once per topology: the same arrays in every node list built from it. */
function membersOf(topology: Topology): Map<string, string[]> {
  let m = membersMemo.get(topology);
  if (m === undefined) {
    m = new Map();
    for (const i of topology.ifaces) {
      const list = m.get(i.netns) ?? [];
      list.push(i.id);
      m.set(i.netns, list);
    }
    membersMemo.set(topology, m);
  }
  return m;
}

const sameData = (a: object, b: object) => {
  const ka = Object.keys(a);
  return (
    ka.length === Object.keys(b).length &&
    ka.every((k) => (a as Record<string, unknown>)[k] === (b as Record<string, unknown>)[k])
  );
};

function sameNode(a: FlowNode, b: FlowNode): boolean {
  return (
    a.type === b.type &&
    a.position.x === b.position.x &&
    a.position.y === b.position.y &&
    a.width === b.width &&
    a.height === b.height &&
    a.ariaLabel === b.ariaLabel &&
    a.zIndex === b.zIndex &&
    sameData(a.data, b.data)
  );
}

function sameEdge(a: HopFlowEdge, b: HopFlowEdge): boolean {
  return a.source === b.source && a.target === b.target && a.data?.kind === b.data?.kind;
}

/**
 * The new list with every element that did not change replaced by its previous object: React
 * Flow then keeps its internal node (no re-measure, no re-render of its wrapper and content).
 * Entering path mode on a big host moves a handful of nodes; without this every node on screen
 * and its edges rendered again. Returns `prev` itself when nothing changed at all.
 */
export function keepUnchanged<T extends FlowNode | HopFlowEdge>(
  prev: readonly T[],
  next: T[],
  same: (a: T, b: T) => boolean,
): T[] {
  if (prev.length === 0) return next;
  const old = new Map(prev.map((x) => [x.id, x]));
  let changed = prev.length !== next.length;
  const out = next.map((x, i) => {
    const o = old.get(x.id);
    if (o !== undefined && same(o, x)) {
      if (prev[i] !== o) changed = true;
      return o;
    }
    changed = true;
    return x;
  });
  return changed ? out : (prev as T[]);
}

export const keepNodes = (prev: readonly FlowNode[], next: FlowNode[]) => keepUnchanged(prev, next, sameNode);
export const keepEdges = (prev: readonly HopFlowEdge[], next: HopFlowEdge[]) =>
  keepUnchanged(prev, next, sameEdge);

/**
 * React Flow's node list, rebuilt only when the layout changes (topology or collapse), never on
 * a counter tick: live numbers reach each node through its own store subscription.
 */
export function buildFlowNodes(
  graph: ViewGraph,
  layout: LayoutResult,
  topology: Topology,
  ifaceById: ReadonlyMap<string, Iface>,
): FlowNode[] {
  const forwarding = forwardingNamespaces(topology);
  const membersByNs = membersOf(topology);
  const summaries = new Set(graph.nodes.filter((n) => n.kind === 'summary').map((n) => n.lane));
  const out: FlowNode[] = [];
  for (const [key, lane] of layout.lanes) {
    // A bare lane is a folded namespace whose summary node is the whole picture of it.
    if (lane.bare) continue;
    const netns = lane.ns ?? key;
    const r = laneRect(lane);
    const members = membersByNs.get(netns) ?? [];
    out.push({
      id: laneNodeId(key),
      type: 'lane',
      position: { x: r.x, y: r.y },
      width: r.width,
      height: r.height,
      style: { width: r.width, height: r.height },
      // No handles (lanes are boxes, not hops): said, so it is not measured before culling.
      handles: [],
      measured: { width: r.width, height: r.height },
      data: {
        netns,
        members,
        collapsed: summaries.has(netns),
        total: members.length,
        role: nsRole(netns, forwarding),
        onPath: lane.ns !== undefined,
      },
      selectable: false,
      focusable: false,
      draggable: false,
      zIndex: 0,
    });
  }
  for (const n of graph.nodes) {
    const cell = layout.cells.get(n.id);
    if (cell === undefined) continue;
    const position = cellPosition(cell);
    if (n.kind === 'summary') {
      out.push({
        id: n.id,
        type: 'summary',
        position,
        width: NODE_W_PX,
        height: NODE_H_PX,
        handles: NODE_HANDLES,
        measured: NODE_MEASURED,
        data: {
          netns: n.lane,
          members: membersByNs.get(n.lane) ?? [],
          role: nsRole(n.lane, forwarding),
          inLane: layout.lanes.get(n.lane)?.bare === false,
        },
        ariaLabel: `namespace ${n.lane || 'host'}, collapsed; press Enter to expand`,
        draggable: false,
        zIndex: 1,
      });
      continue;
    }
    const iface = ifaceById.get(n.id);
    if (iface === undefined) continue;
    const kind = displayKind(iface, forwarding);
    out.push({
      id: n.id,
      type: 'iface',
      position,
      // Known sizes: fitView and edges need not wait for the DOM to be measured.
      width: NODE_W_PX,
      height: NODE_H_PX,
      handles: NODE_HANDLES,
      measured: NODE_MEASURED,
      data: { name: iface.name, netns: iface.netns, kind },
      ariaLabel: `${kind} ${iface.name} in ${iface.netns || 'host namespace'}`,
      draggable: false,
      zIndex: 1,
    });
  }
  return out;
}

/** Summary nodes laid out in the big-host grid (layered.ts placeGrid): bare lanes, many of them. */
function gridded(graph: ViewGraph, layout: LayoutResult): Set<string> {
  const bare = graph.nodes.filter((n) => n.kind === 'summary' && layout.lanes.get(n.lane)?.bare === true);
  return bare.length >= GRID_MIN_FOLDED ? new Set(bare.map((n) => n.id)) : new Set();
}

/**
 * Edges run left to right (lower column → higher) so handles line up with the datapath. Path
 * steps with no kernel or route edge between them (through a collapsed group, say) get a
 * synthetic `path` edge so the lit path never has a gap.
 */
export function buildFlowEdges(
  graph: ViewGraph,
  layout: LayoutResult,
  path: readonly string[] | null,
): HopFlowEdge[] {
  const out: HopFlowEdge[] = [];
  const linked = new Set<string>();
  // A grid of folded namespaces hangs off the bridge above it: a hundred edges fanning into the
  // grid say nothing more and cost as much to draw as the nodes. Folded, their edges fold too.
  const inGrid = gridded(graph, layout);
  for (const e of graph.edges) {
    if (inGrid.has(e.source) || inGrid.has(e.target)) continue;
    const a = layout.cells.get(e.source);
    const b = layout.cells.get(e.target);
    if (a === undefined || b === undefined) continue;
    const flip = a.col > b.col;
    const source = flip ? e.target : e.source;
    const target = flip ? e.source : e.target;
    linked.add(`${source}|${target}`);
    linked.add(`${target}|${source}`);
    out.push({
      id: e.id,
      type: 'hop',
      source,
      target,
      data: { kind: e.kind },
      focusable: false,
      selectable: false,
    });
  }
  if (path !== null) {
    for (let i = 1; i < path.length; i++) {
      const s = path[i - 1]!;
      const t = path[i]!;
      if (linked.has(`${s}|${t}`) || !layout.cells.has(s) || !layout.cells.has(t)) continue;
      const flip = layout.cells.get(s)!.col > layout.cells.get(t)!.col;
      out.push({
        id: `path:${s}|${t}`,
        type: 'hop',
        source: flip ? t : s,
        target: flip ? s : t,
        data: { kind: 'path' },
        focusable: false,
        selectable: false,
      });
    }
  }
  return out;
}
