import { topologyEdges } from '@hopwatch/shared';
import { describe, expect, it } from 'vitest';
import { laneRect } from '../src/layout/geometry.ts';
import { layoutGraph } from '../src/layout/layered.ts';
import { pathLayout, withPathNodes } from '../src/layout/pathLayout.ts';
import { walkPath } from '../src/map/walk.ts';
import type { LayoutResult } from '../src/layout/types.ts';
import { buildViewGraph, type ViewOptions } from '../src/layout/viewGraph.ts';
import { middleEllipsis, nsRole, nsShort } from '../src/ui/names.ts';
import { syntheticTopology } from './fixtures/synthetic.ts';
import { iface, LAB_PATH, labTopology, pair } from './fixtures/topo.ts';

const opts = (pinned: string[] = []): ViewOptions => ({
  overrides: new Map(),
  pinned: new Set(pinned),
  showLoopback: false,
});

function pathPicture(
  t = labTopology(),
  path: readonly string[] = LAB_PATH,
  prev: LayoutResult | null = null,
) {
  const graph = buildViewGraph(t, topologyEdges(t), opts([...path]));
  const base = layoutGraph(graph, 1, prev);
  return { base, graph, shown: pathLayout(base, graph, path)! };
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

describe('path mode layout', () => {
  it('MAP1: the path is one straight line, hop i in column i-1, source left, destination right', () => {
    const { shown } = pathPicture();
    const cells = LAB_PATH.map((id) => shown.cells.get(id)!);
    expect(cells.map((c) => c.col)).toEqual(LAB_PATH.map((_, i) => i));
    expect(new Set(cells.map((c) => c.row)).size).toBe(1);
    // Reversed, the same line the other way.
    const back = [...LAB_PATH].reverse();
    const r = pathPicture(labTopology(), back).shown;
    expect(back.map((id) => r.cells.get(id)!.col)).toEqual(back.map((_, i) => i));
  });

  it('MAP2: the namespaces the path crosses are bands around their hops; the rest sits below, no overlap', () => {
    const { shown, base } = pathPicture();
    const bands = [...shown.lanes].filter(([k]) => k.startsWith('path:')).map(([, l]) => l);
    expect(bands.map((b) => b.ns)).toEqual(['hwlab-up', 'hwlab-node', 'hwlab-qrouter-a1']);
    expect(bands.map((b) => [b.col0, b.col1])).toEqual([
      [0, 0],
      [1, 6],
      [7, 7],
    ]);
    const pathRow = shown.cells.get(LAB_PATH[0]!)!.row;
    for (const [id, c] of shown.cells) if (!LAB_PATH.includes(id)) expect(c.row).toBeGreaterThan(pathRow + 1);
    expect(overlaps(shown)).toEqual([]);
    // Off the path, every node keeps its datapath column and its place relative to the others.
    const off = [...base.cells.keys()].filter((id) => !LAB_PATH.includes(id));
    const shift = shown.cells.get(off[0]!)!.row - base.cells.get(off[0]!)!.row;
    for (const id of off) {
      expect(shown.cells.get(id)!.col).toBe(base.cells.get(id)!.col);
      expect(shown.cells.get(id)!.row - base.cells.get(id)!.row).toBe(shift);
    }
  });

  it('MAP3: stable: the same topology gives the same picture, a new interface moves nothing that was there', () => {
    const a = pathPicture().shown;
    const b = pathPicture().shown;
    expect([...b.cells]).toEqual([...a.cells]);
    const t = labTopology();
    t.namespaces.push({ name: 'hwlab-vm2', inode: 9, forwarding: false });
    t.ifaces.push(
      ...pair(
        iface('hwlab-node', 'tap-vm2', 'veth', { master: 'hwlab-node/br-tenant' }),
        iface('hwlab-vm2', 'eth0', 'veth', { addresses: ['10.10.0.6/24'] }),
      ),
    );
    const first = pathPicture();
    const grown = pathPicture(t, LAB_PATH, first.base).shown;
    expect(grown.cells.has('hwlab-vm2/eth0')).toBe(true);
    for (const [id, c] of first.shown.cells) expect(grown.cells.get(id)).toEqual(c);
  });

  it('MAP4: a hop in a folded namespace is drawn at once (no wait for the layout that pins it)', () => {
    const t = syntheticTopology(1000, 100);
    const graph = buildViewGraph(t, topologyEdges(t), opts());
    const base = layoutGraph(graph, 1, null);
    const path = ['eno1', 'br-ex', 'phy-br-ex', 'int-br-ex', 'br-int', 'tap42-0', 'qrouter-0042/qg'];
    expect(graph.nodes.some((n) => n.id === 'qrouter-0042/qg')).toBe(false);
    expect(pathLayout(base, graph, path)).toBeNull();
    const ifaceById = new Map(t.ifaces.map((i) => [i.id, i]));
    const shown = pathLayout(base, withPathNodes(graph, path, ifaceById), path)!;
    expect(path.map((id) => shown.cells.get(id)?.col)).toEqual(path.map((_, i) => i));
    expect(overlaps(shown)).toEqual([]);
  });
});

describe('names', () => {
  it('MAP5: long namespace names are shortened in the middle; roles come from the name or routing', () => {
    const ns = 'qrouter-5b8d2f1a-0c3e-4d5f-9a8b-7c6d5e4f3a2b';
    const short = nsShort(ns);
    expect(short.length).toBeLessThanOrEqual(22);
    expect(short.startsWith('qrouter-')).toBe(true);
    expect(short.endsWith('3a2b')).toBe(true);
    expect(short).toContain('…');
    expect(middleEllipsis('qg-a1')).toBe('qg-a1');
    expect(nsRole(ns)).toBe('router');
    expect(nsRole('hwlab-qrouter-a1')).toBe('router');
    expect(nsRole('qdhcp-1234')).toBe('DHCP');
    expect(nsRole('snat-1234')).toBe('SNAT');
    expect(nsRole('fip-1234')).toBe('floating IP');
    expect(nsRole('hwlab-vm1')).toBe('VM');
    expect(nsRole('')).toBe('host');
    expect(nsRole('hwlab-up')).toBeNull();
    expect(nsRole('edge', new Set(['edge']))).toBe('router');
  });
});

describe('arrow keys', () => {
  it('MAP14: ← → walk the path from the selection; from nothing, → starts at the source, ← at the end', () => {
    const path = ['a', 'b', 'c'];
    expect(walkPath({ path, sel: null }, 1)).toBe('a');
    expect(walkPath({ path, sel: null }, -1)).toBe('c');
    expect(walkPath({ path, sel: 'a' }, 1)).toBe('b');
    expect(walkPath({ path, sel: 'b' }, -1)).toBe('a');
    expect(walkPath({ path, sel: 'c' }, 1)).toBeNull();
    expect(walkPath({ path, sel: 'elsewhere' }, 1)).toBe('a');
    expect(walkPath({ path: null, sel: 'a' }, 1)).toBeNull();
  });
});
