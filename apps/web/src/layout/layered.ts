import { COL_W_PX, ROW_H_PX } from './geometry.ts';
import { computeLayers, type Layering } from './layers.ts';
import type { Cell, Lane, LayoutResult, ViewGraph } from './types.ts';

/** Barycentre sweeps over the cells; four (down, up, down, up) settle small datapaths fully. */
const ORDER_SWEEPS = 4;
/**
 * Free rows left under each lane when it is placed: a new interface in a full column takes one
 * instead of pushing the lanes below it down (the map must not jump when one VM is added).
 */
export const LANE_SPARE_ROWS = 1;
/** Above this share of new nodes the old picture is not worth keeping: lay out from scratch. */
const RELAYOUT_NEW_SHARE = 0.5;

type Cells = Map<string, Cell>;
type Lanes = Map<string, Lane>;

const colsOverlap = (a: Lane, b: Lane) => a.col0 <= b.col1 && b.col0 <= a.col1;

/** Mean row of a node's already-placed neighbours; null when none is placed. */
function barycentre(id: string, cells: Cells, L: Layering, onlyCol?: number): number | null {
  let sum = 0;
  let n = 0;
  for (const nb of L.adjacency.get(id) ?? []) {
    const c = cells.get(nb);
    if (c === undefined || (onlyCol !== undefined && c.col !== onlyCol)) continue;
    sum += c.row;
    n++;
  }
  return n === 0 ? null : sum / n;
}

function groupByLane(graph: ViewGraph, ids: Iterable<string>): Map<string, string[]> {
  const laneOf = new Map(graph.nodes.map((n) => [n.id, n.lane]));
  const out = new Map<string, string[]>();
  for (const id of ids) {
    const lane = laneOf.get(id)!;
    const list = out.get(lane) ?? [];
    list.push(id);
    out.set(lane, list);
  }
  return out;
}

/** Lane shape for a set of members: columns from their layers, rows from the fullest column. */
function shapeLane(
  members: string[],
  L: Layering,
): { col0: number; col1: number; byCol: Map<number, string[]> } {
  const byCol = new Map<number, string[]>();
  for (const id of members) {
    const col = L.layer.get(id)!;
    const list = byCol.get(col) ?? [];
    list.push(id);
    byCol.set(col, list);
  }
  for (const list of byCol.values()) list.sort((a, b) => L.order.get(a)! - L.order.get(b)!);
  const cols = [...byCol.keys()];
  return { col0: Math.min(...cols), col1: Math.max(...cols), byCol };
}

/** Rows a lane occupies above its first node row: its header. */
const headerRows = (l: Lane) => (l.bare ? 0 : 1);

/**
 * First row of a new lane over a column range (skyline): below whatever is there, after a header
 * row unless bare, and after a spare row left to a boxed lane above it to grow into.
 */
function placeRow0(lanes: Iterable<Lane>, col0: number, col1: number, bare: boolean): number {
  let top = 0;
  let above: Lane | null = null;
  for (const l of lanes) {
    if (l.col0 > col1 || col0 > l.col1) continue;
    const bottom = l.row0 + l.rows;
    // The lowest lane above decides; at a tie a boxed one (it has a right to its spare row).
    if (bottom > top || (bottom === top && above !== null && above.bare && !l.bare)) {
      top = bottom;
      above = l;
    }
  }
  const spare = above !== null && !above.bare ? LANE_SPARE_ROWS : 0;
  return top + spare + (bare ? 0 : 1);
}

/** Every lane that was a lone summary node still is (and the other way round). */
function sameBareness(graph: ViewGraph, prev: LayoutResult): boolean {
  const kindOf = new Map(graph.nodes.map((n) => [n.id, n.kind]));
  for (const [name, members] of groupByLane(
    graph,
    graph.nodes.map((n) => n.id),
  ))
    if ((prev.lanes.get(name)?.bare ?? false) !== isBare(members, kindOf)) return false;
  return true;
}

const isBare = (members: readonly string[], kindOf: ReadonlyMap<string, string>) =>
  members.length === 1 && kindOf.get(members[0]!) === 'summary';

/** Order each lane's columns by the barycentre of neighbours in the previous (or next) column. */
function sweep(laneCols: Map<string, Map<number, string[]>>, lanes: Lanes, cells: Cells, L: Layering): void {
  let maxCol = 0;
  for (const byCol of laneCols.values()) for (const c of byCol.keys()) maxCol = Math.max(maxCol, c);
  for (let pass = 0; pass < ORDER_SWEEPS; pass++) {
    const down = pass % 2 === 0;
    for (let k = 0; k <= maxCol; k++) {
      const col = down ? k : maxCol - k;
      const ref = down ? col - 1 : col + 1;
      for (const [lane, byCol] of laneCols) {
        const list = byCol.get(col);
        if (list === undefined || list.length < 2) continue;
        const key = new Map(list.map((id) => [id, barycentre(id, cells, L, ref) ?? cells.get(id)!.row]));
        list.sort((a, b) => key.get(a)! - key.get(b)!);
        const row0 = lanes.get(lane)!.row0;
        list.forEach((id, i) => {
          cells.set(id, { col, row: row0 + i });
        });
      }
    }
  }
}

function fullLayout(graph: ViewGraph, L: Layering, topoVersion: number): LayoutResult {
  const byLane = groupByLane(
    graph,
    graph.nodes.map((n) => n.id),
  );
  const shapes = [...byLane].map(([lane, members]) => ({
    lane,
    first: Math.min(...members.map((id) => L.order.get(id)!)),
    ...shapeLane(members, L),
  }));
  // Lanes in datapath order: leftmost first, then in the order traffic reaches them.
  shapes.sort((a, b) => a.col0 - b.col0 || a.first - b.first);
  const lanes: Lanes = new Map();
  const cells: Cells = new Map();
  const laneCols = new Map<string, Map<number, string[]>>();
  const kindOf = new Map(graph.nodes.map((n) => [n.id, n.kind]));
  const folded = shapes.filter((s) => isBare(byLane.get(s.lane)!, kindOf));
  const grid = folded.length >= GRID_MIN_FOLDED ? new Set(folded.map((s) => s.lane)) : new Set<string>();
  for (const s of shapes) {
    if (grid.has(s.lane)) continue;
    const rows = Math.max(...[...s.byCol.values()].map((l) => l.length));
    const bare = isBare(byLane.get(s.lane)!, kindOf);
    const row0 = placeRow0(lanes.values(), s.col0, s.col1, bare);
    const lane: Lane = { col0: s.col0, col1: s.col1, row0, rows, bare };
    lanes.set(s.lane, lane);
    laneCols.set(s.lane, s.byCol);
    for (const [col, list] of s.byCol) {
      for (let i = 0; i < list.length; i++) cells.set(list[i]!, { col, row: lane.row0 + i });
    }
  }
  sweep(laneCols, lanes, cells, L);
  placeGrid(
    folded.filter((s) => grid.has(s.lane)),
    byLane,
    lanes,
    cells,
  );
  return { topoVersion, cells, lanes, mode: 'full' };
}

/**
 * Folded namespaces (a summary node each) on a big host: a grid shaped like a screen, not a
 * column a hundred rows tall, in name order (stable). The grid sits right of the datapath
 * columns its namespaces would take when opened (their layer and the one after, where a router's
 * inner ports go): a namespace that starts losing packets, or that the operator opens, gets its
 * box there, under the spine and left of the grid — loss first in reading order — and no
 * folded neighbour moves.
 */
function placeGrid(
  folded: readonly { lane: string; col0: number; col1: number }[],
  byLane: Map<string, string[]>,
  lanes: Lanes,
  cells: Cells,
): void {
  if (folded.length === 0) return;
  const sorted = [...folded].sort((a, b) => (a.lane < b.lane ? -1 : a.lane > b.lane ? 1 : 0));
  const cols = gridColumns(sorted.length);
  let col0 = Math.max(...sorted.map((s) => s.col1)) + GRID_OPEN_COLS + 1;
  for (const l of lanes.values()) col0 = Math.max(col0, l.col1 + 1);
  // Top of the picture: the grid's columns hold nothing else.
  const row0 = placeRow0(lanes.values(), col0, col0 + cols - 1, true);
  sorted.forEach((s, i) => {
    const col = col0 + (i % cols);
    const row = row0 + Math.floor(i / cols);
    lanes.set(s.lane, { col0: col, col1: col, row0: row, rows: 1, bare: true });
    for (const id of byLane.get(s.lane)!) cells.set(id, { col, row });
  });
}

/** Columns an opened namespace may need beyond its summary's (a router: outer port, inner ports). */
const GRID_OPEN_COLS = 2;
/** Folded namespaces below this stay in their datapath column (a few fit there). */
export const GRID_MIN_FOLDED = 12;
/** The grid's width to height on screen: a laptop's map area, about 16:9 less the side panel. */
const GRID_ASPECT = 1.7;

/** Columns of a grid of n summary nodes whose drawn width/height is about GRID_ASPECT. */
export function gridColumns(n: number): number {
  return Math.max(1, Math.min(n, Math.round(Math.sqrt((GRID_ASPECT * n * ROW_H_PX) / COL_W_PX))));
}

/**
 * Push lanes down until none overlaps another (only lanes below a grown one ever move). Top to
 * bottom: a lane pushes down every lane below it that it overlaps, then the lanes below it are
 * put back in order; the lanes above it never move again (pushing a lane down only takes it
 * further from them), so one pass does it: O(n² log n), where starting over from the top after
 * every push was O(n³) (tens of ms on a 300-namespace host, on the way to path mode).
 */
export function resolveOverlaps(lanes: Lanes, cells: Cells, membersOf: Map<string, string[]>): void {
  // Ties in (row, column) go by the lanes' own order, as a stable sort of the lanes would.
  const order = [...lanes].map(([name, lane], k) => ({ name, lane, k }));
  const byRow = (a: (typeof order)[number], b: (typeof order)[number]) =>
    a.lane.row0 - b.lane.row0 || a.lane.col0 - b.lane.col0 || a.k - b.k;
  order.sort(byRow);
  for (let i = 0; i < order.length; i++) {
    const upper = order[i]!.lane;
    let moved = false;
    for (let j = i + 1; j < order.length; j++) {
      const { name, lane: lower } = order[j]!;
      const overlap = upper.row0 + upper.rows - (lower.row0 - headerRows(lower));
      if (!colsOverlap(upper, lower) || overlap <= 0) continue;
      lower.row0 += overlap;
      for (const id of membersOf.get(name) ?? []) {
        const c = cells.get(id)!;
        cells.set(id, { col: c.col, row: c.row + overlap });
      }
      moved = true;
    }
    if (moved) order.push(...order.splice(i + 1).sort(byRow));
  }
}

/**
 * Stable layered layout. With a previous layout, every node that existed keeps its cell; new
 * nodes take free cells of their lane in their layer's column (the lane grows a row when none is
 * free, pushing only the lanes below it); new lanes go below the existing picture. Counter ticks
 * never reach this function: it runs when the visible topology changes.
 */
export function layoutGraph(graph: ViewGraph, topoVersion: number, prev: LayoutResult | null): LayoutResult {
  const L = computeLayers(graph);
  if (prev === null) return fullLayout(graph, L, topoVersion);
  const ids = graph.nodes.map((n) => n.id);
  const added = ids.filter((id) => !prev.cells.has(id));
  const kept = ids.filter((id) => prev.cells.has(id));
  if (kept.length === 0 || added.length > ids.length * RELAYOUT_NEW_SHARE)
    return fullLayout(graph, L, topoVersion);
  const cells: Cells = new Map(kept.map((id) => [id, prev.cells.get(id)!]));
  if (added.length === 0 && kept.length === prev.cells.size && sameBareness(graph, prev)) {
    return { topoVersion, cells, lanes: new Map(prev.lanes), mode: 'unchanged' };
  }

  const membersOf = groupByLane(graph, ids);
  const kindOf = new Map(graph.nodes.map((n) => [n.id, n.kind]));
  // A folded namespace that opens (expanded, or a pinned hop) leaves its one cell and is placed
  // anew below the picture: growing in place would push every folded neighbour down.
  const reopened = new Set<string>();
  for (const [name, members] of membersOf)
    if (prev.lanes.get(name)?.bare === true && !isBare(members, kindOf)) reopened.add(name);
  for (const name of reopened) for (const id of membersOf.get(name)!) cells.delete(id);
  const lanes: Lanes = new Map();
  for (const [name, members] of membersOf) {
    if (reopened.has(name)) continue;
    const old = prev.lanes.get(name);
    const placed = members.filter((id) => cells.has(id)).map((id) => cells.get(id)!);
    if (old === undefined || placed.length === 0) continue;
    lanes.set(name, {
      col0: Math.min(...placed.map((c) => c.col)),
      col1: Math.max(...placed.map((c) => c.col)),
      row0: old.row0,
      rows: Math.max(...placed.map((c) => c.row)) - old.row0 + 1,
      // A folded namespace that gains a pinned hop gets its box (and header) back, and vice versa.
      bare: isBare(members, kindOf),
    });
  }
  const taken = new Set([...cells.values()].map((c) => `${c.col},${c.row}`));
  const laneOf = new Map(graph.nodes.map((n) => [n.id, n.lane]));
  const addedSet = new Set(added);
  const replaced = ids.filter((id) => !addedSet.has(id) && reopened.has(laneOf.get(id)!));
  const addedByLane = groupByLane(graph, [...added, ...replaced]);

  for (const [name, list] of addedByLane) {
    let lane = lanes.get(name);
    if (lane === undefined) {
      const s = shapeLane(list, L);
      const bare = isBare(membersOf.get(name)!, kindOf);
      lane = {
        col0: s.col0,
        col1: s.col1,
        row0: placeRow0(lanes.values(), s.col0, s.col1, bare),
        rows: 1,
        bare,
      };
      lanes.set(name, lane);
    }
    // Place nodes with placed neighbours first, each near the mean row of those neighbours.
    const key = (id: string) => barycentre(id, cells, L) ?? Number.POSITIVE_INFINITY;
    const todo = [...list].sort((a, b) => L.layer.get(a)! - L.layer.get(b)! || key(a) - key(b));
    for (const id of todo) {
      const col = L.layer.get(id)!;
      const want = barycentre(id, cells, L) ?? lane.row0;
      let best: number | null = null;
      for (let r = lane.row0; r < lane.row0 + lane.rows; r++) {
        if (taken.has(`${col},${r}`)) continue;
        if (best === null || Math.abs(r - want) < Math.abs(best - want)) best = r;
      }
      const row = best ?? lane.row0 + lane.rows;
      if (best === null) lane.rows++;
      lane.col0 = Math.min(lane.col0, col);
      lane.col1 = Math.max(lane.col1, col);
      cells.set(id, { col, row });
      taken.add(`${col},${row}`);
    }
  }
  resolveOverlaps(lanes, cells, membersOf);
  return { topoVersion, cells, lanes, mode: 'incremental' };
}
