import { topologyEdges } from '@hopwatch/shared';
import { describe, expect, it } from 'vitest';
import type { HopStat } from '../src/judge/evaluate.ts';
import { layoutGraph } from '../src/layout/layered.ts';
import { buildViewGraph } from '../src/layout/viewGraph.ts';
import { buildFlowEdges, buildFlowNodes } from '../src/map/flowElements.ts';
import { firstFrame, READABLE_MIN_ZOOM } from '../src/map/frame.ts';
import { syntheticTopology } from './fixtures/synthetic.ts';
import { LAB_PATH, labTopology } from './fixtures/topo.ts';

const OPTS = { overrides: new Map(), pinned: new Set<string>(), showLoopback: false };

function flow(t = labTopology(), pinned = new Set<string>()) {
  const g = buildViewGraph(t, topologyEdges(t), { ...OPTS, pinned });
  const layout = layoutGraph(g, 1, null);
  const ifaceById = new Map(t.ifaces.map((i) => [i.id, i]));
  return { nodes: buildFlowNodes(g, layout, t, ifaceById), edges: buildFlowEdges(g, layout, null) };
}

const loss: HopStat = {
  status: 'loss',
  rxPps: 1,
  txPps: 0,
  drops: 1,
  dropsPerSec: 1,
  lossRatio: 0.1,
  pathIndex: null,
  rules: '',
  notes: '',
};

describe('first frame', () => {
  it('frames the path of a shared link', () => {
    const { nodes, edges } = flow();
    const v = firstFrame({ nodes, edges, path: LAB_PATH, statsById: new Map(), width: 1200, height: 800 });
    const whole = firstFrame({ nodes, edges, path: null, statsById: new Map(), width: 1e5, height: 1e5 });
    expect(v.zoom).toBeGreaterThan(0.5);
    expect(whole.zoom).toBeGreaterThan(1); // a huge screen shows the whole host, zoom capped
  });

  it('shows the whole host when that is readable', () => {
    const { nodes, edges } = flow();
    const v = firstFrame({ nodes, edges, path: null, statsById: new Map(), width: 4000, height: 1200 });
    expect(v.zoom).toBeGreaterThanOrEqual(READABLE_MIN_ZOOM);
  });

  it('on a big host frames the loss, else the spine, with direct neighbours only, at a readable zoom', () => {
    const t = syntheticTopology(1000, 100);
    const { nodes, edges } = flow(t, new Set(['qrouter-0042/qg']));
    const spine = firstFrame({ nodes, edges, path: null, statsById: new Map(), width: 1200, height: 800 });
    expect(spine.zoom).toBeGreaterThanOrEqual(READABLE_MIN_ZOOM);
    const atLoss = firstFrame({
      nodes,
      edges,
      path: null,
      statsById: new Map([['qrouter-0042/qg', loss]]),
      width: 1200,
      height: 800,
    });
    expect(atLoss.zoom).toBeGreaterThanOrEqual(READABLE_MIN_ZOOM);
    expect(atLoss.y).not.toBe(spine.y);
  });
});
