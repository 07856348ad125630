import type { Iface } from '@hopwatch/shared';
import type { Cell, Lane, LayoutResult, ViewGraph, ViewNode } from './types.ts';

/** Rows the path takes: its bands' header row, then the hops. */
const PATH_ROWS = 2;
/** Empty rows between the path and what is folded below it. */
export const PATH_GAP_ROWS = 1;
export const pathLaneKey = (k: number) => `path:${k}`;

/**
 * The view graph with every hop of the path in it: a hop inside a folded namespace is drawn at
 * once in path mode, without waiting for the datapath layout that pins it (a round trip through
 * the layout worker: most of the time from typing the destination to the picture on a big host).
 */
export function withPathNodes(
  graph: ViewGraph,
  path: readonly string[],
  ifaceById: ReadonlyMap<string, Iface>,
): ViewGraph {
  const have = new Set(graph.nodes.map((n) => n.id));
  const missing: ViewNode[] = [];
  for (const id of path) {
    const iface = ifaceById.get(id);
    if (!have.has(id) && iface !== undefined) missing.push({ id, kind: 'iface', lane: iface.netns });
  }
  return missing.length === 0 ? graph : { ...graph, nodes: [...graph.nodes, ...missing] };
}

/**
 * Path mode: the chosen path as one straight line, hop i in column i-1 of row 1 (source at the
 * left, destination at the right), each run of hops in one namespace a band around them; every
 * other node keeps its datapath cell, moved below the path. Derived from the datapath layout
 * (itself stable), so the same topology gives the same picture and a new interface moves
 * nothing that was there. Pure and cheap (one pass over the cells): it runs on the UI thread
 * when the path changes, never on a counter tick. `graph` must hold every hop of the path
 * (withPathNodes); null when it does not.
 */
export function pathLayout(
  base: LayoutResult,
  graph: ViewGraph,
  path: readonly string[],
): LayoutResult | null {
  const laneOf = new Map(graph.nodes.map((n) => [n.id, n.lane]));
  if (path.length === 0 || path.some((id) => !laneOf.has(id))) return null;
  const onPath = new Set(path);
  const cells = new Map<string, Cell>();
  const lanes = new Map<string, Lane>();

  let band: Lane | null = null;
  let bandNs: string | null = null;
  path.forEach((id, i) => {
    cells.set(id, { col: i, row: PATH_ROWS - 1 });
    const ns = laneOf.get(id) ?? '';
    if (band !== null && bandNs === ns) {
      band.col1 = i;
      return;
    }
    band = { col0: i, col1: i, row0: PATH_ROWS - 1, rows: 1, bare: false, ns };
    bandNs = ns;
    lanes.set(pathLaneKey(lanes.size), band);
  });

  // The rest: datapath cells, shifted below the path (top of the rest = first free row).
  let top = Number.POSITIVE_INFINITY;
  for (const l of base.lanes.values()) top = Math.min(top, l.row0 - (l.bare ? 0 : 1));
  const shift = PATH_ROWS + PATH_GAP_ROWS - (Number.isFinite(top) ? top : 0);
  const rest = new Map<string, Cell[]>();
  for (const [id, c] of base.cells) {
    if (onPath.has(id)) continue;
    const moved = { col: c.col, row: c.row + shift };
    cells.set(id, moved);
    const ns = laneOf.get(id);
    if (ns === undefined) continue;
    const list = rest.get(ns) ?? [];
    list.push(moved);
    rest.set(ns, list);
  }
  for (const [ns, l] of base.lanes) {
    const left = rest.get(ns);
    // A namespace whose every node is on the path has no box below.
    if (left === undefined) continue;
    const cols = left.map((c) => c.col);
    lanes.set(ns, {
      col0: Math.min(...cols),
      col1: Math.max(...cols),
      row0: l.row0 + shift,
      rows: l.rows,
      bare: l.bare,
    });
  }
  return { topoVersion: base.topoVersion, cells, lanes, mode: 'path' };
}
