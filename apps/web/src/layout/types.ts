import type { EdgeKind } from '@hopwatch/shared';

/**
 * What the layout sees: the visible part of a host's topology. A node is an interface, or the
 * summary of a collapsed namespace (`ns:NAME`); a lane is a namespace.
 */
export type ViewNodeKind = 'iface' | 'summary';
export type ViewEdgeKind = EdgeKind | 'route';

export interface ViewNode {
  id: string;
  kind: ViewNodeKind;
  /** The namespace (lane) this node lives in. */
  lane: string;
}

export interface ViewEdge {
  id: string;
  kind: ViewEdgeKind;
  source: string;
  target: string;
}

export interface ViewGraph {
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** Where the datapath starts (the uplink): layer 0 of their component. */
  roots: string[];
}

/** Grid coordinates: col = layer (datapath order, left to right), row = global row. */
export interface Cell {
  col: number;
  row: number;
}

export interface Lane {
  col0: number;
  col1: number;
  /** First row of nodes; the row above (row0 - 1) holds the lane's header unless the lane is bare. */
  row0: number;
  rows: number;
  /**
   * A collapsed namespace shown by its summary node alone: the node is the group, so no lane box,
   * no header row and no spare row (a hundred folded routers stack one row each).
   */
  bare: boolean;
  /**
   * The namespace, when the lane's key is not the namespace itself: in path mode one namespace
   * can be a band on the path (keyed `path:K`) and a box of its other interfaces below.
   */
  ns?: string;
}

export interface LayoutResult {
  /** The topology version this layout was computed for (stale results are dropped). */
  topoVersion: number;
  cells: Map<string, Cell>;
  lanes: Map<string, Lane>;
  /** How it was produced: for tests and the bench. */
  mode: 'full' | 'incremental' | 'unchanged' | 'path';
}

export const SUMMARY_PREFIX = 'ns:';
export const summaryId = (netns: string) => `${SUMMARY_PREFIX}${netns}`;
