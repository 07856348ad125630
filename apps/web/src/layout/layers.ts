import type { ViewGraph } from './types.ts';

export interface Layering {
  /** Node id → layer (column). */
  layer: Map<string, number>;
  /** Node id → order of discovery (datapath order; ties in lanes and cells start from it). */
  order: Map<string, number>;
  /** Node id → neighbour ids, sorted (determinism). */
  adjacency: Map<string, string[]>;
}

/**
 * Layers: breadth-first distance from the uplink over the undirected kernel graph. Orienting each
 * edge from the nearer end to the farther gives a DAG whose longest-path layering is exactly this
 * distance, so a bridge sits one column after the port the traffic enters by and its other ports
 * one column after it: uplink → bridges → patch pairs → router namespaces → tenant side.
 * Components without an uplink start from their smallest id (deterministic across browsers).
 */
export function computeLayers(graph: ViewGraph): Layering {
  const adjacency = new Map<string, string[]>();
  for (const n of graph.nodes) adjacency.set(n.id, []);
  for (const e of graph.edges) {
    adjacency.get(e.source)?.push(e.target);
    adjacency.get(e.target)?.push(e.source);
  }
  for (const list of adjacency.values()) list.sort();

  const layer = new Map<string, number>();
  const order = new Map<string, number>();
  const visit = (starts: string[]) => {
    const queue: string[] = [];
    for (const s of starts) {
      if (layer.has(s)) continue;
      layer.set(s, 0);
      order.set(s, order.size);
      queue.push(s);
    }
    for (let head = 0; head < queue.length; head++) {
      const id = queue[head]!;
      const next = layer.get(id)! + 1;
      for (const nb of adjacency.get(id) ?? []) {
        if (layer.has(nb)) continue;
        layer.set(nb, next);
        order.set(nb, order.size);
        queue.push(nb);
      }
    }
  };
  // All roots of one component start together: two uplinks of one bridge are both column 0.
  visit(graph.roots.filter((r) => adjacency.has(r)));
  const rest = graph.nodes.map((n) => n.id).sort();
  for (const id of rest) if (!layer.has(id)) visit([id]);
  return { layer, order, adjacency };
}
