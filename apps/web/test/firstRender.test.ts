import { afterEach, describe, expect, it } from 'vitest';
import { INLINE_LAYOUT_MAX_NODES, startLayout } from '../src/layout/controller.ts';
import { buildFlowNodes, NODE_HANDLES } from '../src/map/flowElements.ts';
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
  const store = createAppStore();
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

  it('MAP18: every node says where its handles are, so React Flow draws only what is on screen', () => {
    const store = bigHostStore();
    const stop = startLayout(store);
    const s = store.getState();
    const nodes = buildFlowNodes(s.viewGraph!, s.layout!, s.topology!, s.ifaceById);
    expect(nodes.length).toBeGreaterThan(300);
    for (const n of nodes) expect(n.handles, n.id).toEqual(n.type === 'lane' ? [] : NODE_HANDLES);
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
});
