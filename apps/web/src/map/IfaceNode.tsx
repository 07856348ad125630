import { Handle, type NodeProps, Position, type ReactFlowState, useStore } from '@xyflow/react';
import { memo, useMemo } from 'react';
import { NODE_H_PX, NODE_W_PX } from '../layout/geometry.ts';
import type { HopStat } from '../judge/evaluate.ts';
import { type AppState, useApp } from '../store/index.ts';
import { fmtNum, fmtPct } from '../ui/format.ts';
import { KindIcon, StatusIcon } from '../ui/icons.tsx';
import { setText, useLive } from '../ui/live.ts';
import { nsName } from '../ui/names.ts';
import { STATUS_LABEL } from '../ui/status.ts';
import type { IfaceFlowNode } from './flowElements.ts';
import { coarseStatOf, isSelected, selectPicking, statOf } from './selectors.ts';

/** Below this zoom the second line (rates) is unreadable anyway: skip rendering it. */
const DETAIL_MIN_ZOOM = 0.45;
const selectDetailed = (s: ReactFlowState) => s.transform[2] >= DETAIL_MIN_ZOOM;
export const NODE_SIZE = { width: NODE_W_PX, height: NODE_H_PX };
/** One object for every handle: a new style object each render would re-render the (memo) handles with the node. */
export const HIDDEN_HANDLE = { opacity: 0 };

/**
 * One interface. Renders on what changes its shape: its status and path number (one shared
 * object per pair, map/selectors.ts), whether it drops, the selection, the zoom. Its rates change
 * every second and are written in place (Rates), so a counter tick renders no node at all.
 */
export const IfaceNode = memo(function IfaceNode({ id, data }: NodeProps<IfaceFlowNode>) {
  const detailed = useStore(selectDetailed);
  const stat = useApp(useMemo(() => coarseStatOf(id), [id]));
  const dropping = useApp(useMemo(() => isDropping(id), [id]));
  const selected = useApp(useMemo(() => isSelected(id), [id]));
  const picking = useApp(selectPicking) !== null;
  const status = stat?.status ?? 'idle';
  const onPath = stat?.pathIndex != null;
  return (
    <div
      className="hop"
      style={NODE_SIZE}
      data-hop={id}
      data-status={status}
      data-path-index={stat?.pathIndex ?? undefined}
      data-on-path={onPath}
      data-selected={selected}
      data-picking={picking}
      title={`${data.name} in ${nsName(data.netns)}`}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} style={HIDDEN_HANDLE} />
      {onPath && <span className="hop-index mono">{stat?.pathIndex}</span>}
      <div className="flex items-center gap-1.5 min-w-0">
        <span className="muted">
          <KindIcon kind={data.kind} />
        </span>
        {/* Whole, always: an interface name is at most 15 characters and its end tells it apart. */}
        <span className="mono font-semibold whitespace-nowrap flex-1" style={{ fontSize: 12 }} data-label>
          {data.name}
        </span>
        <span
          className={`st-${status} flex items-center gap-0.5 uppercase font-bold`}
          style={{ fontSize: 10 }}
        >
          <StatusIcon status={status} size={13} />
          {STATUS_LABEL[status]}
        </span>
      </div>
      {/* Zoomed out the rates are unreadable anyway: not drawn, not followed. */}
      {detailed && <Rates id={id} dropping={dropping} />}
      <Handle type="source" position={Position.Right} isConnectable={false} style={HIDDEN_HANDLE} />
    </div>
  );
});

/** The second line: packets in and out per second, and the loss when there is any (ui/live.ts). */
function Rates({ id, dropping }: { id: string; dropping: boolean }) {
  const select = useMemo(() => statOf(id), [id]);
  const rates = useLive(select, writeRates);
  const drops = useLive(select, writeDrops);
  return (
    <div className="mono flex items-center gap-2 muted" style={{ fontSize: 11 }} ref={rates}>
      <span title="packets received per second" />
      <span title="packets sent per second" />
      {dropping && <span className="st-loss font-bold ml-auto" ref={drops} />}
    </div>
  );
}

const isDropping = (id: string) => (s: AppState) => (s.statsById.get(id)?.drops ?? 0) > 0;

function writeRates(el: HTMLElement, stat: HopStat | undefined): void {
  const [rx, tx] = el.children as unknown as [HTMLElement, HTMLElement];
  setText(rx, `↓${fmtNum(stat?.rxPps ?? 0)}`);
  setText(tx, `↑${fmtNum(stat?.txPps ?? 0)}/s`);
}

function writeDrops(el: HTMLElement, stat: HopStat | undefined): void {
  if (stat === undefined) return;
  setText(el, `✕${fmtNum(stat.dropsPerSec)}/s`);
  el.title = `${fmtNum(stat.dropsPerSec)} packets lost per second here (${fmtPct(stat.lossRatio)})`;
}
