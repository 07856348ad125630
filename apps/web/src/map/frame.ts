import { getNodesBounds, getViewportForBounds, type Viewport } from '@xyflow/react';
import type { HopStat } from '../judge/evaluate.ts';
import { SPINE_KINDS } from '../layout/viewGraph.ts';
import type { FlowNode, HopFlowEdge } from './flowElements.ts';

/** Below this the node labels are unreadable: a first view that would need it frames less. */
export const READABLE_MIN_ZOOM = 0.55;
const MAX_FIRST_ZOOM = 1.1;
const PADDING = 0.1;

export interface FrameInput {
  nodes: readonly FlowNode[];
  edges: readonly HopFlowEdge[];
  path: readonly string[] | null;
  statsById: ReadonlyMap<string, HopStat>;
  width: number;
  height: number;
}

/**
 * The first picture of a host, computed rather than animated (so it is the same in every browser
 * for the same link): the path when there is one (the reason the link exists); else the whole host
 * if it is readable at that zoom; else the hops losing packets with their neighbours; else the
 * spine (NICs, bridges, tunnels) with theirs, at a readable zoom.
 */
export function firstFrame(f: FrameInput): Viewport {
  const pick = (ids: Iterable<string>) => {
    const set = new Set(ids);
    return f.nodes.filter((n) => set.has(n.id));
  };
  const fit = (list: readonly FlowNode[], minZoom: number) =>
    getViewportForBounds(getNodesBounds([...list]), f.width, f.height, minZoom, MAX_FIRST_ZOOM, PADDING);

  const onPath = pick(f.path ?? []);
  if (onPath.length > 0) return fit(onPath, 0.05);
  const whole = fit(f.nodes, 0.05);
  if (whole.zoom >= READABLE_MIN_ZOOM) return whole;
  const losing = [...f.statsById].filter(([, st]) => st.status === 'loss').map(([id]) => id);
  const spine = f.nodes.filter((n) => n.type === 'iface' && SPINE_KINDS.has(n.data.kind)).map((n) => n.id);
  const core = new Set(pick(losing.length > 0 ? losing : spine).map((n) => n.id));
  // Direct neighbours only (growing the set while scanning would pull in the whole graph).
  const near = new Set(core);
  for (const e of f.edges) if (core.has(e.source) || core.has(e.target)) near.add(e.source).add(e.target);
  const focus = pick(near);
  if (focus.length === 0) return fit(f.nodes, READABLE_MIN_ZOOM);
  // Neighbours far away (a folded host namespace at the top of a long stack) would shrink the
  // picture below readable: then the hops themselves, centred.
  const withContext = fit(focus, 0.05);
  return withContext.zoom >= READABLE_MIN_ZOOM ? withContext : fit(pick(core), READABLE_MIN_ZOOM);
}
