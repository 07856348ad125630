import type { AppState, AppStore } from '../store/index.ts';
import { layoutGraph } from './layered.ts';
import type { LayoutResult, ViewGraph } from './types.ts';
import { buildViewGraph, collapsedSet, SPINE_KINDS } from './viewGraph.ts';
import type { LayoutRequest, LayoutResponse } from './worker.ts';

/**
 * Both ends are set and the judge has not answered for them yet (no path between them, no error):
 * the path it is finding pins them with its hops. Pinning the destination now would lay the map
 * out twice on the way to path mode (Enter, then the answer), the first time for nothing. (The
 * source, usually chosen first, stays pinned: unpinning it would be a layout too.)
 */
export function pathPending(s: AppState): boolean {
  if (s.from === null || s.to === null || s.pathError !== null) return false;
  return s.path === null || s.path[0] !== s.from || s.path.at(-1) !== s.to;
}

/**
 * Hops that stay visible inside a collapsed namespace: the path, its ends, the selection and every
 * hop losing packets. Returned as a sorted key so a counter tick that changes no status costs no layout.
 */
export function pinnedKey(s: AppState): string {
  if (s.topology === null) return '';
  const collapsed = collapsedSet(s.topology, s.collapseOverrides);
  if (collapsed.size === 0) return '';
  const ids = new Set<string>();
  const ends = pathPending(s) ? [s.from] : [s.from, s.to];
  for (const id of [...ends, s.sel, ...(s.path ?? [])]) if (id !== null) ids.add(id);
  const alarms = s.statusIndex.alarmKey;
  if (alarms !== '') for (const id of alarms.split('\n')) ids.add(id);
  const out: string[] = [];
  for (const id of ids) {
    const i = s.ifaceById.get(id);
    // The spine (NICs, bridges) is drawn folded or not: pinning it changes nothing but the key.
    if (i !== undefined && collapsed.has(i.netns) && !SPINE_KINDS.has(i.kind)) out.push(id);
  }
  return out.sort().join('\n');
}

interface Inputs {
  topoVersion: number;
  overrides: AppState['collapseOverrides'];
  showLoopback: boolean;
  pinned: string;
}

const selectInputs = (s: AppState): Inputs => ({
  topoVersion: s.topoVersion,
  overrides: s.collapseOverrides,
  showLoopback: s.showLoopback,
  pinned: pinnedKey(s),
});

const sameInputs = (a: Inputs, b: Inputs) =>
  a.topoVersion === b.topoVersion &&
  a.overrides === b.overrides &&
  a.showLoopback === b.showLoopback &&
  a.pinned === b.pinned;

/**
 * View graphs up to this many nodes are laid out on the UI thread: a folded 3000-interface host
 * (~300 nodes) takes a few ms there, less than sending the graph to a worker and back, and far
 * less than waiting for a worker to start on the way to the first picture (bench:web). Bigger
 * graphs (a big host expanded) go to the worker.
 */
export const INLINE_LAYOUT_MAX_NODES = 600;

/**
 * Runs the layout whenever the visible topology changes (never on a counter tick), in a Web Worker
 * when the graph is big and the browser has one (started the first time one is needed), and hands
 * graph and positions to the store together.
 */
export function startLayout(store: AppStore, inlineMaxNodes = INLINE_LAYOUT_MAX_NODES): () => void {
  let worker: Worker | null | undefined;
  const theWorker = (): Worker | null => {
    if (worker !== undefined) return worker;
    try {
      worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    } catch {
      worker = null;
    }
    if (worker !== null)
      worker.onmessage = (ev: MessageEvent<LayoutResponse>) => {
        const graph = pending.get(ev.data.id);
        pending.delete(ev.data.id);
        if (graph === undefined || ev.data.id !== lastId) return;
        apply(graph, ev.data.layout, ev.data.ms);
      };
    return worker;
  };
  let lastId = 0;
  let prev: LayoutResult | null = null;
  const pending = new Map<number, ViewGraph>();

  const apply = (graph: ViewGraph, layout: LayoutResult, ms: number) => {
    prev = layout;
    performance.mark('hopwatch:layout', { detail: { ms, nodes: graph.nodes.length, mode: layout.mode } });
    store.getState().setLayout(graph, layout);
  };

  const run = (inputs: Inputs) => {
    const s = store.getState();
    if (s.topology === null) {
      prev = null;
      return;
    }
    if (s.layout === null) prev = null;
    const pinned = new Set(inputs.pinned === '' ? [] : inputs.pinned.split('\n'));
    const graph = buildViewGraph(s.topology, s.topoEdges, {
      overrides: inputs.overrides,
      pinned,
      showLoopback: inputs.showLoopback,
    });
    const id = ++lastId;
    const w = graph.nodes.length > inlineMaxNodes ? theWorker() : null;
    if (w === null) {
      const t0 = performance.now();
      apply(graph, layoutGraph(graph, inputs.topoVersion, prev), performance.now() - t0);
      return;
    }
    pending.set(id, graph);
    const req: LayoutRequest = { id, graph, topoVersion: inputs.topoVersion, prev };
    w.postMessage(req);
  };

  const unsub = store.subscribe(selectInputs, run, { equalityFn: sameInputs, fireImmediately: true });
  return () => {
    unsub();
    worker?.terminate();
  };
}
