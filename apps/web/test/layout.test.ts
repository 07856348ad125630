import { topologyEdges } from '@hopwatch/shared';
import { describe, expect, it } from 'vitest';
import { COL_W_PX, laneRect, ROW_H_PX } from '../src/layout/geometry.ts';
import { gridColumns, layoutGraph } from '../src/layout/layered.ts';
import type { LayoutResult, ViewGraph } from '../src/layout/types.ts';
import { buildViewGraph, collapsedSet, type ViewOptions } from '../src/layout/viewGraph.ts';
import { iface, LAB_PATH, labTopology, pair } from './fixtures/topo.ts';
import { syntheticTopology } from './fixtures/synthetic.ts';

const OPTS: ViewOptions = { overrides: new Map(), pinned: new Set(), showLoopback: false };

function graphOf(t = labTopology(), opts = OPTS): ViewGraph {
  return buildViewGraph(t, topologyEdges(t), opts);
}

function overlaps(layout: LayoutResult): string[] {
  const rects = [...layout.lanes].map(([name, l]) => ({ name, ...laneRect(l) }));
  const bad: string[] = [];
  for (let i = 0; i < rects.length; i++)
    for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i]!;
      const b = rects[j]!;
      if (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
        bad.push(`${a.name} × ${b.name}`);
    }
  return bad;
}

function cellsUnique(layout: LayoutResult): boolean {
  const keys = [...layout.cells.values()].map((c) => `${c.col},${c.row}`);
  return new Set(keys).size === keys.length;
}

describe('layered layout', () => {
  it('reads like the datapath: columns grow along the lab path from the uplink', () => {
    const layout = layoutGraph(graphOf(), 1, null);
    const cols = LAB_PATH.map((id) => layout.cells.get(id)?.col);
    expect(cols).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // The router's internal side and the tenant VM come after the router.
    expect(layout.cells.get('hwlab-qrouter-a1/qr-a1')!.col).toBe(8);
    expect(layout.cells.get('hwlab-vm1/eth0')!.col).toBe(12);
  });

  it('keeps each namespace in its own lane, lanes never overlap, one node per cell', () => {
    const layout = layoutGraph(graphOf(), 1, null);
    expect([...layout.lanes.keys()].sort()).toEqual(
      ['', 'hwlab-node', 'hwlab-qrouter-a1', 'hwlab-qrouter-b2', 'hwlab-up', 'hwlab-vm1'].sort(),
    );
    const lane = layout.lanes.get('hwlab-qrouter-a1')!;
    for (const id of ['hwlab-qrouter-a1/qg-a1', 'hwlab-qrouter-a1/qr-a1']) {
      const c = layout.cells.get(id)!;
      expect(c.row).toBeGreaterThanOrEqual(lane.row0);
      expect(c.row).toBeLessThan(lane.row0 + lane.rows);
    }
    expect(overlaps(layout)).toEqual([]);
    expect(cellsUnique(layout)).toBe(true);
  });

  it('hides loopbacks unless asked', () => {
    expect(graphOf().nodes.some((n) => n.id.endsWith('/lo'))).toBe(false);
    expect(
      graphOf(labTopology(), { ...OPTS, showLoopback: true }).nodes.some((n) => n.id === 'hwlab-up/lo'),
    ).toBe(true);
  });

  it('is deterministic: the same topology gives the same picture in every browser', () => {
    const a = layoutGraph(graphOf(), 1, null);
    const b = layoutGraph(graphOf(), 1, null);
    expect([...b.cells]).toEqual([...a.cells]);
  });

  it('is stable: an unchanged topology keeps every position', () => {
    const first = layoutGraph(graphOf(), 1, null);
    const again = layoutGraph(graphOf(), 2, first);
    expect(again.mode).toBe('unchanged');
    expect(again.cells).toEqual(first.cells);
  });

  it('is stable: adding one interface moves no existing node', () => {
    const t = labTopology();
    const first = layoutGraph(graphOf(t), 1, null);
    const [tap, inner] = pair(
      iface('hwlab-node', 'tap-qg-c3', 'veth', { master: 'hwlab-node/br-int' }),
      iface('hwlab-qrouter-a1', 'qg-extra', 'veth', { addresses: ['203.0.113.30/24'] }),
    );
    t.ifaces.push(tap);
    const second = layoutGraph(graphOf(t), 2, first);
    expect(second.mode).toBe('incremental');
    for (const [id, cell] of first.cells) expect(second.cells.get(id)).toEqual(cell);
    // The new port sits in br-int's ports column, in the node lane.
    expect(second.cells.get('hwlab-node/tap-qg-c3')!.col).toBe(6);
    expect(overlaps(second)).toEqual([]);
    expect(cellsUnique(second)).toBe(true);

    // And its peer in the router namespace (a full column there too): still nothing moves.
    t.ifaces.push(inner);
    const third = layoutGraph(graphOf(t), 3, second);
    for (const [id, cell] of second.cells) expect(third.cells.get(id)).toEqual(cell);
    expect(overlaps(third)).toEqual([]);
    expect(cellsUnique(third)).toBe(true);
  });

  it('a lane that outgrows its spare row pushes only the lanes below it, straight down', () => {
    const t = labTopology();
    let layout = layoutGraph(graphOf(t), 1, null);
    const first = layout;
    for (const n of ['x1', 'x2', 'x3']) {
      t.ifaces.push(iface('hwlab-node', `tap-${n}`, 'veth', { master: 'hwlab-node/br-int' }));
      layout = layoutGraph(graphOf(t), 2, layout);
      expect(overlaps(layout)).toEqual([]);
      expect(cellsUnique(layout)).toBe(true);
    }
    const nodeLane = first.lanes.get('hwlab-node')!;
    for (const [id, cell] of first.cells) {
      const now = layout.cells.get(id)!;
      expect(now.col).toBe(cell.col);
      if (id.startsWith('hwlab-node/') || cell.row < nodeLane.row0 + nodeLane.rows) expect(now).toEqual(cell);
      else expect(now.row).toBeGreaterThanOrEqual(cell.row);
    }
  });

  it('is stable: a new namespace goes below the picture, nothing else moves', () => {
    const t = labTopology();
    const first = layoutGraph(graphOf(t), 1, null);
    t.namespaces.push({ name: 'hwlab-vm2', inode: 9, forwarding: false });
    const [tap, eth] = pair(
      iface('hwlab-node', 'tap-vm2', 'veth', { master: 'hwlab-node/br-tenant' }),
      iface('hwlab-vm2', 'eth0', 'veth', { addresses: ['10.10.0.6/24'] }),
    );
    t.ifaces.push(tap, eth);
    const second = layoutGraph(graphOf(t), 2, first);
    for (const [id, cell] of first.cells) expect(second.cells.get(id)).toEqual(cell);
    expect(second.lanes.has('hwlab-vm2')).toBe(true);
    expect(overlaps(second)).toEqual([]);
  });

  it('is stable: removing an interface moves no other node', () => {
    const t = labTopology();
    const first = layoutGraph(graphOf(t), 1, null);
    t.ifaces = t.ifaces.filter((i) => i.id !== 'hwlab-node/tap-qg-b2');
    const second = layoutGraph(graphOf(t), 2, first);
    expect(second.cells.has('hwlab-node/tap-qg-b2')).toBe(false);
    for (const [id, cell] of second.cells) expect(cell).toEqual(first.cells.get(id));
  });
});

describe('big hosts', () => {
  it('collapse namespaces by default, keeping the spine (NIC, bridges) visible', () => {
    const t = syntheticTopology(1000, 100);
    expect(t.ifaces.length).toBeGreaterThanOrEqual(990);
    const g = buildViewGraph(t, topologyEdges(t), OPTS);
    expect(g.nodes.length).toBeLessThan(150);
    expect(g.nodes.filter((n) => n.kind === 'summary').length).toBe(101);
    for (const id of ['eno1', 'br-ex', 'br-int']) expect(g.nodes.some((n) => n.id === id)).toBe(true);
  });

  it('MAP6: folded namespaces make a grid shaped like a screen, in name order, not one tall column', () => {
    const t = syntheticTopology(1000, 100);
    const layout = layoutGraph(buildViewGraph(t, topologyEdges(t), OPTS), 1, null);
    const folded = [...layout.lanes].filter(([name]) => name.startsWith('qrouter-'));
    expect(folded.every(([, l]) => l.bare && l.rows === 1)).toBe(true);
    const cols = new Set(folded.map(([, l]) => l.col0));
    const rows = new Set(folded.map(([, l]) => l.row0));
    expect(cols.size).toBe(gridColumns(100));
    // Drawn, wider than tall and no wider than about twice a screen's shape.
    const width = cols.size * COL_W_PX;
    const height = rows.size * ROW_H_PX;
    expect(width / height).toBeGreaterThan(1);
    expect(width / height).toBeLessThan(3);
    // Name order, row by row.
    const order = [...folded].sort((a, b) => a[1].row0 - b[1].row0 || a[1].col0 - b[1].col0).map(([n]) => n);
    expect(order).toEqual([...order].sort());
    expect(overlaps(layout)).toEqual([]);
    expect(cellsUnique(layout)).toBe(true);
  });

  it('a folded namespace that gains a loss hop gets its box back without overlapping', () => {
    const t = syntheticTopology(1000, 100);
    const first = layoutGraph(buildViewGraph(t, topologyEdges(t), OPTS), 1, null);
    const g = buildViewGraph(t, topologyEdges(t), { ...OPTS, pinned: new Set(['qrouter-0042/qg']) });
    const second = layoutGraph(g, 1, first);
    expect(second.lanes.get('qrouter-0042')?.bare).toBe(false);
    expect(overlaps(second)).toEqual([]);
    expect(cellsUnique(second)).toBe(true);
    // Loss first: its box sits left of the grid, not below it.
    const grid = [...second.lanes].filter(([n, l]) => n.startsWith('qrouter-') && l.bare).map(([, l]) => l);
    const box = second.lanes.get('qrouter-0042')!;
    expect(box.col1).toBeLessThan(Math.min(...grid.map((l) => l.col0)));
    expect(box.row0).toBeLessThan(Math.max(...grid.map((l) => l.row0)));
    // Nothing else moved: it left the grid for a box of its own (MAP7).
    for (const [id, cell] of first.cells)
      if (!id.includes('qrouter-0042')) expect(second.cells.get(id)).toEqual(cell);
  });

  it('show pinned hops (path, loss) inside collapsed namespaces', () => {
    const t = syntheticTopology(1000, 100);
    const g = buildViewGraph(t, topologyEdges(t), {
      ...OPTS,
      pinned: new Set(['qrouter-0042/qg', 'tap42-0']),
    });
    expect(g.nodes.find((n) => n.id === 'qrouter-0042/qg')?.kind).toBe('iface');
    expect(g.edges.some((e) => e.source === 'qrouter-0042/qg' || e.target === 'qrouter-0042/qg')).toBe(true);
  });

  it('MAP7: expanding one namespace keeps every other position; no duplicate node of it', () => {
    const t = syntheticTopology(1000, 100);
    const first = layoutGraph(buildViewGraph(t, topologyEdges(t), OPTS), 1, null);
    const overrides = new Map([['qrouter-0007', false]]);
    expect(collapsedSet(t, overrides).has('qrouter-0007')).toBe(false);
    const g = buildViewGraph(t, topologyEdges(t), { ...OPTS, overrides });
    const second = layoutGraph(g, 1, first);
    expect(second.cells.has('qrouter-0007/qg')).toBe(true);
    expect(g.nodes.some((n) => n.id === 'ns:qrouter-0007')).toBe(false);
    for (const [id, cell] of first.cells) {
      const now = second.cells.get(id);
      if (now !== undefined) expect(now).toEqual(cell);
    }
    expect(overlaps(second)).toEqual([]);
    expect(cellsUnique(second)).toBe(true);
  });

  it('lays out 3000 interfaces fully expanded without overlaps', () => {
    const t = syntheticTopology(3000, 300);
    const overrides = new Map(t.namespaces.map((n) => [n.name, false]));
    const layout = layoutGraph(buildViewGraph(t, topologyEdges(t), { ...OPTS, overrides }), 1, null);
    expect(layout.cells.size).toBeGreaterThan(2900);
    expect(cellsUnique(layout)).toBe(true);
    expect(overlaps(layout)).toEqual([]);
  });
});
