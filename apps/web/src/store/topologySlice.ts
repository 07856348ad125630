import type { Iface, Topology, TopoEdge } from '@hopwatch/shared';
import { topologyEdges } from '@hopwatch/shared/judge/graph';
import type { LayoutResult, ViewGraph } from '../layout/types.ts';
import type { SliceCreator } from './types.ts';

export interface TopologySlice {
  topology: Topology | null;
  /** Host the topology belongs to (a late frame for a host no longer watched is ignored). */
  topologyHost: string | null;
  /** Bumped on every new topology: layout and memoised node lists key on it. */
  topoVersion: number;
  ifaceById: Map<string, Iface>;
  topoEdges: TopoEdge[];
  /** Namespace → collapsed, where the operator overrode the default (big hosts start collapsed). */
  collapseOverrides: Map<string, boolean>;
  /** Loopbacks carry no datapath: hidden unless asked for. */
  showLoopback: boolean;
  /** What the canvas draws and where: set together by the layout controller, null until the first layout lands. */
  viewGraph: ViewGraph | null;
  layout: LayoutResult | null;
  setTopology: (host: string, topology: Topology) => void;
  clearTopology: () => void;
  setNamespaceCollapsed: (netns: string, collapsed: boolean) => void;
  /** Expand or collapse every namespace at once (the toolbar's expand all / collapse all). */
  setAllCollapsed: (collapsed: boolean) => void;
  setShowLoopback: (show: boolean) => void;
  setLayout: (graph: ViewGraph, layout: LayoutResult) => void;
}

export const createTopologySlice: SliceCreator<TopologySlice> = (set, get) => ({
  topology: null,
  topologyHost: null,
  topoVersion: 0,
  ifaceById: new Map(),
  topoEdges: [],
  collapseOverrides: new Map(),
  showLoopback: false,
  viewGraph: null,
  layout: null,
  setTopology: (host, topology) => {
    if (host !== get().host) return;
    set((s) => ({
      topology,
      topologyHost: host,
      topoVersion: s.topoVersion + 1,
      ifaceById: new Map(topology.ifaces.map((i) => [i.id, i])),
      topoEdges: topologyEdges(topology),
    }));
    get().rejudge();
  },
  clearTopology: () =>
    set((s) => ({
      topology: null,
      topologyHost: null,
      topoVersion: s.topoVersion + 1,
      ifaceById: new Map(),
      topoEdges: [],
      collapseOverrides: new Map(),
      viewGraph: null,
      layout: null,
    })),
  setNamespaceCollapsed: (netns, collapsed) =>
    set((s) => {
      const next = new Map(s.collapseOverrides);
      next.set(netns, collapsed);
      return { collapseOverrides: next };
    }),
  setAllCollapsed: (collapsed) =>
    set((s) => ({
      collapseOverrides: new Map((s.topology?.namespaces ?? []).map((n) => [n.name, collapsed])),
    })),
  setShowLoopback: (showLoopback) => set({ showLoopback }),
  setLayout: (viewGraph, layout) => {
    if (layout.topoVersion !== get().topoVersion) return;
    set({ viewGraph, layout });
  },
});
