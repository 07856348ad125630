import { evaluate } from '../src/judge/evaluate.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { INLINE_LAYOUT_MAX_NODES, pathPending, pinnedKey, startLayout } from '../src/layout/controller.ts';
import { pathLayout, withPathNodes } from '../src/layout/pathLayout.ts';
import {
  buildFlowEdges,
  buildFlowNodes,
  keepEdges,
  keepNodes,
  NODE_HANDLES,
} from '../src/map/flowElements.ts';
import { createAppStore } from '../src/store/index.ts';
import { syntheticTopology } from './fixtures/synthetic.ts';

/** Counts the layout workers started (the test runs in node, which has no Worker of its own). */
class FakeWorker {
  static started = 0;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  posted: unknown[] = [];
  constructor() {
    FakeWorker.started++;
  }
  postMessage(msg: unknown) {
    this.posted.push(msg);
  }
  terminate() {}
}

function bigHostStore() {
  const store = createAppStore(evaluate);
  store.getState().setHost('synthetic-3000');
  store.getState().setTopology('synthetic-3000', syntheticTopology(3000, 300));
  return store;
}

describe('first picture of a big host', () => {
  const g = globalThis as unknown as { Worker?: unknown };
  afterEach(() => {
    delete g.Worker;
    FakeWorker.started = 0;
  });

  it('MAP18: every node says where its handles are and its size, so React Flow draws only what is on screen', () => {
    const store = bigHostStore();
    const stop = startLayout(store);
    const s = store.getState();
    const nodes = buildFlowNodes(s.viewGraph!, s.layout!, s.topology!, s.ifaceById);
    expect(nodes.length).toBeGreaterThan(300);
    for (const n of nodes) {
      expect(n.handles, n.id).toEqual(n.type === 'lane' ? [] : NODE_HANDLES);
      // …and its size, as measured: "fit view" frames the nodes it never drew too.
      expect(n.measured, n.id).toEqual({ width: n.width, height: n.height });
    }
    // The edges leave a hop on its right and enter the next on its left, mid-height.
    const [target, source] = NODE_HANDLES;
    expect(target).toMatchObject({ type: 'target', position: 'left' });
    expect(source).toMatchObject({ type: 'source', position: 'right' });
    expect(target!.y + target!.height! / 2).toBe(source!.y + source!.height! / 2);
    stop();
  });

  it('MAP19: a folded big host is laid out at once on the UI thread; a bigger graph starts the worker', () => {
    g.Worker = FakeWorker;
    const store = bigHostStore();
    const stop = startLayout(store);
    // No worker to wait for: the layout is there as soon as the topology is.
    expect(store.getState().layout).not.toBeNull();
    expect(store.getState().viewGraph!.nodes.length).toBeLessThanOrEqual(INLINE_LAYOUT_MAX_NODES);
    expect(FakeWorker.started).toBe(0);
    stop();

    const expanded = bigHostStore();
    const stopBig = startLayout(expanded, 100);
    expect(FakeWorker.started).toBe(1);
    expect(expanded.getState().layout).toBeNull();
    stopBig();
  });

  it('MAP22: Enter in the destination box lays nothing out until the path is known; then once, with its hops', () => {
    const store = bigHostStore();
    // The judge is a worker, as in the browser: the path comes back later, not inside setTo.
    store.setState({ judgeExternally: true });
    const stop = startLayout(store);
    const layouts = () => performance.getEntriesByName('hopwatch:layout').length;
    const before = layouts();
    store.getState().setFrom('eno1');
    store.getState().setTo('qrouter-0150/qg');
    expect(pathPending(store.getState())).toBe(true);
    expect(layouts()).toBe(before);
    // The judge answers: the path's hops (its ends among them) are pinned, in one layout.
    const path = ['eno1', 'br-ex', 'phy-br-ex', 'int-br-ex', 'br-int', 'tap150-0', 'qrouter-0150/qg'];
    store.setState({ path });
    expect(pathPending(store.getState())).toBe(false);
    expect(layouts()).toBe(before + 1);
    expect(store.getState().layout?.cells.has('qrouter-0150/qg')).toBe(true);
    // No path between them: the ends are pinned (the operator sees both), with the error.
    store.setState({ path: null, pathError: 'no path', to: 'qrouter-0007/qg' });
    expect(pinnedKey(store.getState()).split('\n')).toContain('qrouter-0007/qg');
    stop();
  });

  it('MAP24: a new picture keeps the objects of the nodes and edges it did not change (path mode moves a few)', () => {
    const store = bigHostStore();
    const stop = startLayout(store);
    const s = store.getState();
    const graph = s.viewGraph!;
    const before = buildFlowNodes(graph, s.layout!, s.topology!, s.ifaceById);
    const beforeEdges = buildFlowEdges(graph, s.layout!, null);
    // The same layout again: the very same list.
    expect(keepNodes(before, buildFlowNodes(graph, s.layout!, s.topology!, s.ifaceById))).toBe(before);
    expect(keepEdges(beforeEdges, buildFlowEdges(graph, s.layout!, null))).toBe(beforeEdges);
    // Path mode on it: only the path's hops (and the bands) are new objects.
    const path = ['eno1', 'br-ex', 'phy-br-ex', 'int-br-ex', 'br-int'];
    const g = withPathNodes(graph, path, s.ifaceById);
    const shown = pathLayout(s.layout!, g, path)!;
    const after = keepNodes(before, buildFlowNodes(g, shown, s.topology!, s.ifaceById));
    const old = new Set(before);
    const renewed = after.filter((n) => !old.has(n));
    expect(renewed.length).toBeGreaterThan(0);
    expect(renewed.length).toBeLessThan(20);
    for (const n of renewed) expect(path.includes(n.id) || n.type === 'lane').toBe(true);
    stop();
  });
});
