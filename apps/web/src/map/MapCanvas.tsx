import {
  Background,
  BackgroundVariant,
  Controls,
  MiniMap,
  type NodeMouseHandler,
  type OnMove,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  useStoreApi,
  type Viewport,
} from '@xyflow/react';
import {
  type KeyboardEvent,
  type RefObject,
  useCallback,
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { cellPosition, NODE_H_PX, NODE_W_PX } from '../layout/geometry.ts';
import { type AppState, appStore, useApp } from '../store/index.ts';
import { warmLocalTime } from '../replay/time.ts';
import { roundCamera } from '../url/view.ts';
import {
  buildFlowEdges,
  buildFlowNodes,
  type FlowNode,
  type HopFlowEdge,
  keepEdges,
  keepNodes,
} from './flowElements.ts';
import { firstFrame } from './frame.ts';
import { MARK_FIRST_MAP } from './marks.ts';
import { pathLayout, withPathNodes } from '../layout/pathLayout.ts';
import { walkPath } from './walk.ts';
import { HopEdge } from './HopEdge.tsx';
import { IfaceNode } from './IfaceNode.tsx';
import { LaneNode } from './LaneNode.tsx';
import { selectIfaceById, selectLayout, selectPath, selectTopology, selectViewGraph } from './selectors.ts';
import { SummaryNode } from './SummaryNode.tsx';

const nodeTypes = { iface: IfaceNode, summary: SummaryNode, lane: LaneNode };
const edgeTypes = { hop: HopEdge };
/** The MiniMap's cost grows with nodes and it goes blank past ~700 (xyflow #5575): mid-sized maps only. */
const MINIMAP_MAX_NODES = 300;
/** A map that fits on a screen needs no overview. */
const MINIMAP_MIN_NODES = 40;
/**
 * Culling pays off only on big graphs; on small ones it just adds work (ui-anchors §5.2). A
 * folded 3000-interface host is ~300 nodes, most of them off screen in the first picture: there
 * culling halves the first render (bench:web).
 */
const CULL_MIN_NODES = 150;
const MIN_ZOOM = 0.05;
const MAX_ZOOM = 4;

/** Whether a sample was judged yet: a boolean, so the canvas does not re-render on every tick. */
const selectJudged = (s: AppState) => s.lastT !== null;
const selectSampleSent = (s: AppState) => s.sampleSent;
const selectHost = (s: AppState) => s.host;
/** How long the first picture waits for a judged sample before framing what it has. */
const FIRST_FRAME_WAIT_MS = 1500;
/** Set when path mode's picture is on screen (the bench times typing the destination to this). */
export const MARK_PATH_LAID_OUT = 'hopwatch:path-laid-out';
const selectTheme = (s: { theme: 'light' | 'dark' }) => s.theme;
const selectFocus = (s: { focus: { id: string; seq: number } | null }) => s.focus;

const HIDDEN = { visibility: 'hidden' } as const;

const minimapColor = (n: FlowNode) =>
  n.type === 'lane' ? 'rgba(128,128,128,0.15)' : 'rgba(128,128,128,0.7)';

/** The canvas as React Flow is made: its size then and the frame it starts at. */
interface Made {
  viewport: Viewport;
  width: number;
  height: number;
}

/**
 * One host's map. React Flow is mounted as soon as the nodes are laid out, hidden, and is handed
 * the nodes, the canvas's size and a frame when its store is made: it draws in one render. It is
 * shown once the first picture is known (the first sample judged, so the loss is known, and the
 * frame computed on it: bench/firstPicture.ts), moved to that frame first if it differs.
 * Mounted while the judge worker judges the first sample, its mount (React Flow's render, its
 * forced layout reading the pane's size, d3-zoom) overlaps the worker instead of following it:
 * what is left after the judgement is the statuses of the nodes on screen (~175 → ~50 ms of this
 * thread at 3000 interfaces in the traces: apps/web/README.md § Speed). Mounted before its nodes
 * were in, it drew them in a second pass (they reach its store in an effect) and at 0,0 ×1.
 */
function Canvas() {
  const baseGraph = useApp(selectViewGraph);
  const datapath = useApp(selectLayout);
  const topology = useApp(selectTopology);
  const ifaceById = useApp(selectIfaceById);
  const path = useApp(selectPath);
  const wrapper = useRef<HTMLDivElement>(null);
  // Path mode: the path as a straight line left to right, the rest below (layout/pathLayout.ts).
  // Cheap and derived, so it follows the path at once; leaving path mode gives the datapath back.
  const { graph, layout } = useMemo(() => {
    if (datapath === null || baseGraph === null || path === null)
      return { graph: baseGraph, layout: datapath };
    const g = withPathNodes(baseGraph, path, ifaceById);
    const shown = pathLayout(datapath, g, path);
    return shown === null ? { graph: baseGraph, layout: datapath } : { graph: g, layout: shown };
  }, [datapath, baseGraph, path, ifaceById]);
  const pathMode = layout?.mode === 'path';

  // Unchanged nodes and edges keep their objects from the last list (keepNodes): a new layout
  // re-renders only what moved or changed.
  const lastNodes = useRef<FlowNode[]>([]);
  const lastEdges = useRef<HopFlowEdge[]>([]);
  const nodes = useMemo<FlowNode[]>(() => {
    const next = graph && layout && topology ? buildFlowNodes(graph, layout, topology, ifaceById) : [];
    lastNodes.current = keepNodes(lastNodes.current, next);
    return lastNodes.current;
  }, [graph, layout, topology, ifaceById]);
  const edges = useMemo(() => {
    const next = graph && layout ? buildFlowEdges(graph, layout, path) : [];
    lastEdges.current = keepEdges(lastEdges.current, next);
    return lastEdges.current;
  }, [graph, layout, path]);

  // First picture (map/frame.ts), once there are nodes (their sizes are given, not measured), the
  // first sample is judged (so the loss is known) and its loss hops are on the map, and, for a link
  // with from/to, the path is answered. A host that sends nothing is framed after FIRST_FRAME_WAIT_MS.
  const judged = useApp(selectJudged);
  const sampleSent = useApp(selectSampleSent);
  const [waitOver, setWaitOver] = useState(false);
  const [made, setMade] = useState<Made | null>(null);
  /** The first picture's frame, once it is known: the canvas is shown from then on. */
  const [first, setFirst] = useState<Viewport | null>(null);
  const hasNodes = nodes.length > 0;
  useEffect(() => {
    if (!hasNodes) return;
    const timer = setTimeout(() => setWaitOver(true), FIRST_FRAME_WAIT_MS);
    return () => clearTimeout(timer);
  }, [hasNodes]);
  // Before paint: the render that mounts React Flow follows at once, in the same frame.
  useLayoutEffect(() => {
    if (first !== null || nodes.length === 0) return;
    const { cam, from, to, pathError, statsById } = appStore.getState();
    const el = wrapper.current;
    const size = { width: el?.clientWidth ?? 0, height: el?.clientHeight ?? 0 };
    const frame = () => cam ?? firstFrame({ nodes, edges, path, statsById, ...size });
    if (!firstPictureKnown({ cam, from, to, pathError, statsById, path, judged, waitOver, nodes })) {
      // Made once a sample is on its way to the judge, not as soon as the nodes are: the hub's
      // sample frames follow the topology, and this thread reads them (the socket is its own) only
      // between its tasks; mounting first held them back by the mount's length (~75 ms, traces).
      if (made === null && sampleSent) setMade({ viewport: frame(), ...size });
      return;
    }
    const viewport = frame();
    if (made === null) setMade({ viewport, ...size });
    setFirst(viewport);
  }, [first, made, nodes, edges, path, judged, waitOver, sampleSent]);
  // Keyboard: Tab moves through nodes (React Flow makes them focusable), Enter selects, and on
  // a path ← → walk along it (the selection and the focus move hop by hop).
  const onKeyDown = useCallback((e: KeyboardEvent<HTMLDivElement>) => {
    if (
      (e.key === 'ArrowLeft' || e.key === 'ArrowRight') &&
      !e.shiftKey &&
      appStore.getState().path !== null
    ) {
      // On the map with a path the arrows are the path's (replay's ← → are theirs elsewhere).
      e.preventDefault();
      e.stopPropagation();
      const next = walkPath(appStore.getState(), e.key === 'ArrowRight' ? 1 : -1);
      if (next === null) return;
      appStore.getState().reveal(next);
      requestAnimationFrame(() =>
        wrapper.current
          ?.querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(next)}"]`)
          ?.focus({ preventScroll: true }),
      );
      return;
    }
    if (e.key !== 'Enter' && e.key !== ' ') return;
    const el = (e.target as HTMLElement).closest<HTMLElement>('.react-flow__node');
    const id = el?.dataset.id;
    if (id === undefined) return;
    e.preventDefault();
    const s = appStore.getState();
    if (el?.classList.contains('react-flow__node-summary')) s.setNamespaceCollapsed(id.slice(3), false);
    else if (el?.classList.contains('react-flow__node-iface')) s.clickHop(id);
  }, []);

  return (
    <div
      ref={wrapper}
      className="w-full h-full"
      onKeyDown={onKeyDown}
      data-testid="map"
      role="application"
      aria-label={pathMode ? 'host map, path mode: left and right arrows walk along the path' : 'host map'}
      aria-roledescription="map"
      data-mode={pathMode ? 'path' : 'datapath'}
    >
      {made !== null && (
        <ReactFlowProvider
          initialNodes={nodes}
          initialEdges={edges}
          initialWidth={made.width}
          initialHeight={made.height}
          initialMinZoom={MIN_ZOOM}
          initialMaxZoom={MAX_ZOOM}
        >
          <StartAt viewport={made.viewport} />
          <Flow
            made={made}
            first={first}
            nodes={nodes}
            edges={edges}
            path={path}
            layout={layout}
            pathMode={pathMode}
            wrapper={wrapper}
          />
        </ReactFlowProvider>
      )}
    </div>
  );
}

/**
 * Whether the first picture can be framed: there are nodes (their sizes are given, not measured),
 * the first sample is judged (so the loss is known) and its loss hops are on the map, and, for a
 * link with from/to, the path is answered. A link with a camera is framed by it at once; a host
 * that sends nothing is framed after FIRST_FRAME_WAIT_MS.
 */
function firstPictureKnown(s: {
  cam: Viewport | null;
  from: string | null;
  to: string | null;
  pathError: string | null;
  statsById: ReadonlyMap<string, { status: string }>;
  path: readonly string[] | null;
  judged: boolean;
  waitOver: boolean;
  nodes: readonly FlowNode[];
}): boolean {
  if (s.cam !== null || s.waitOver) return true;
  if (s.from !== null && s.to !== null && s.path === null && s.pathError === null) return false;
  if (!s.judged) return false;
  const shown = new Set(s.nodes.map((n) => n.id));
  for (const [id, st] of s.statsById) if (st.status === 'loss' && !shown.has(id)) return false;
  return true;
}

/**
 * Puts the first picture's viewport in React Flow's store as it is made, before anything reads
 * it: its own `defaultViewport` reaches the store only in an effect after the first render, which
 * would draw (and pick the visible nodes of) the picture at 0,0 ×1 first. Nothing subscribes to
 * the store before React Flow renders (the next sibling), so setting it here re-renders nothing.
 */
function StartAt({ viewport }: { viewport: Viewport }) {
  const store = useStoreApi();
  useState(() => store.setState({ transform: [viewport.x, viewport.y, viewport.zoom] }));
  return null;
}

interface FlowProps {
  made: Made;
  /** The first picture's frame; null: not known yet, the canvas is mounted but hidden. */
  first: Viewport | null;
  nodes: FlowNode[];
  edges: HopFlowEdge[];
  path: string[] | null;
  layout: ReturnType<typeof selectLayout>;
  pathMode: boolean;
  wrapper: RefObject<HTMLDivElement | null>;
}

function Flow({ made, first, nodes, edges, path, layout, pathMode, wrapper }: FlowProps) {
  const theme = useApp(selectTheme);
  const focus = useApp(selectFocus);
  const rf = useReactFlow();
  const store = useStoreApi();

  // Shown: at the first picture's frame, moved there before paint when the canvas was made at
  // another (the loss was not known then). d3-zoom applies a move without duration at once.
  const shown = first !== null;
  useLayoutEffect(() => {
    if (first === null) return;
    const [x, y, zoom] = store.getState().transform;
    if (x !== first.x || y !== first.y || zoom !== first.zoom) void rf.setViewport(first);
  }, [first, rf, store]);
  // Made hidden, while the judgement is on its way: this thread waits for it, so the clock's
  // locale data (the page's first Intl formatter, 35–140 ms) is loaded now, in a task of its own,
  // instead of in the render of the first picture, whose clock shows the judged sample's time.
  const madeHidden = useRef(!shown);
  useEffect(() => {
    if (madeHidden.current) setTimeout(warmLocalTime, 0);
  }, []);
  // Once, when the first picture is drawn (the values it was drawn with).
  const marked = useRef(false);
  useEffect(() => {
    if (first === null || marked.current) return;
    marked.current = true;
    performance.mark(MARK_FIRST_MAP, { detail: { nodes: nodes.length, viewport: first } });
  }, [first, nodes.length]);

  // Entering or leaving path mode moves every node: frame the new picture (the path, or the host).
  // A link with from/to opens in path mode: its camera (or the first frame) already is the
  // path's, so the path arriving is not a change of mode to reframe.
  const lastMode = useRef(pathMode || (appStore.getState().from !== null && appStore.getState().to !== null));
  useEffect(() => {
    if (lastMode.current === pathMode) return;
    lastMode.current = pathMode;
    const el = wrapper.current;
    if (el === null) return;
    const { statsById } = appStore.getState();
    const size = { width: el.clientWidth, height: el.clientHeight };
    void rf.setViewport(firstFrame({ nodes, edges, path: pathMode ? path : null, statsById, ...size }));
    if (pathMode) performance.mark(MARK_PATH_LAID_OUT, { detail: { hops: path?.length ?? 0 } });
  }, [pathMode, nodes, edges, path, rf, wrapper]);

  useEffect(() => {
    if (focus === null || layout === null) return;
    const cell = layout.cells.get(focus.id);
    if (cell === undefined) return;
    const p = cellPosition(cell);
    void rf.setCenter(p.x + NODE_W_PX / 2, p.y + NODE_H_PX / 2, {
      zoom: Math.max(rf.getZoom(), 0.9),
      duration: 250,
    });
  }, [focus, layout, rf]);

  const onNodeClick = useCallback<NodeMouseHandler<FlowNode>>((_, node) => {
    const s = appStore.getState();
    if (node.type === 'iface') s.clickHop(node.id);
    else if (node.type === 'summary') s.setNamespaceCollapsed(node.data.netns, false);
  }, []);

  const onMoveEnd = useCallback<OnMove>((event, viewport) => {
    // Only the operator's own moves go to the URL; our fitView on load is not a choice.
    if (event === null) return;
    appStore.getState().setCamera(roundCamera(viewport));
  }, []);

  const big = nodes.length >= CULL_MIN_NODES;
  return (
    <ReactFlow<FlowNode>
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      edgeTypes={edgeTypes}
      colorMode={theme}
      nodesDraggable={false}
      nodesConnectable={false}
      elementsSelectable={false}
      deleteKeyCode={null}
      selectionKeyCode={null}
      multiSelectionKeyCode={null}
      onlyRenderVisibleElements={big}
      minZoom={MIN_ZOOM}
      maxZoom={MAX_ZOOM}
      onNodeClick={onNodeClick}
      onMoveEnd={onMoveEnd}
      zoomOnDoubleClick={false}
      proOptions={{ hideAttribution: false }}
      defaultViewport={made.viewport}
      // Mounted before the first picture is known, drawn but not shown (and out of the
      // accessibility tree and the tab order) until it is.
      style={shown ? undefined : HIDDEN}
      aria-hidden={shown ? undefined : true}
      inert={!shown}
    >
      <Background variant={BackgroundVariant.Dots} gap={24} size={1} />
      <Controls showInteractive={false} position="bottom-left" />
      {nodes.length <= MINIMAP_MAX_NODES && nodes.length >= MINIMAP_MIN_NODES && (
        <MiniMap
          pannable
          zoomable
          position="bottom-right"
          ariaLabel="overview"
          nodeColor={minimapColor}
          nodeStrokeWidth={0}
        />
      )}
    </ReactFlow>
  );
}

export function MapCanvas() {
  // Another host is another first picture: a fresh canvas (refs, waits, React Flow's store) per host.
  const host = useApp(selectHost);
  return <Canvas key={host ?? ''} />;
}
