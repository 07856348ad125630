import { layoutGraph } from './layered.ts';
import type { LayoutResult, ViewGraph } from './types.ts';

/** Layout off the main thread: the request carries the view graph and the previous layout. */
export interface LayoutRequest {
  id: number;
  graph: ViewGraph;
  topoVersion: number;
  prev: LayoutResult | null;
}

export interface LayoutResponse {
  id: number;
  layout: LayoutResult;
  ms: number;
}

// The app's tsconfig has DOM types, not WebWorker ones (the two libs conflict): type the scope here.
const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<LayoutRequest>) => void) | null;
  postMessage: (msg: LayoutResponse) => void;
};

scope.onmessage = (ev) => {
  const t0 = performance.now();
  const { id, graph, topoVersion, prev } = ev.data;
  const layout = layoutGraph(graph, topoVersion, prev);
  scope.postMessage({ id, layout, ms: performance.now() - t0 });
};
