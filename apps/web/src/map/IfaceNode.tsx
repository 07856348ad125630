import { Handle, type NodeProps, Position, type ReactFlowState, useStore } from '@xyflow/react';
import { memo, useMemo } from 'react';
import { NODE_H_PX, NODE_W_PX } from '../layout/geometry.ts';
import { useApp } from '../store/index.ts';
import { fmtNum, fmtPct } from '../ui/format.ts';
import { KindIcon, StatusIcon } from '../ui/icons.tsx';
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
 * One interface. Subscribes to its own stats by id (a Map entry that keeps its identity while
 * unchanged), so a counter tick re-renders only the hops whose numbers moved, and, zoomed out,
 * only those whose status moved.
 */
export const IfaceNode = memo(function IfaceNode({ id, data }: NodeProps<IfaceFlowNode>) {
  const detailed = useStore(selectDetailed);
  // Zoomed out, the rates are not drawn: subscribe to status and path number only.
  const stat = useApp(useMemo(() => (detailed ? statOf(id) : coarseStatOf(id)), [id, detailed]));
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
      {detailed && (
        <div className="mono flex items-center gap-2 muted" style={{ fontSize: 11 }}>
          <span title="packets received per second">↓{fmtNum(stat?.rxPps ?? 0)}</span>
          <span title="packets sent per second">↑{fmtNum(stat?.txPps ?? 0)}/s</span>
          {stat !== undefined && stat.drops > 0 && (
            <span
              className="st-loss font-bold ml-auto"
              title={`${fmtNum(stat.dropsPerSec)} packets lost per second here (${fmtPct(stat.lossRatio)})`}
            >
              ✕{fmtNum(stat.dropsPerSec)}/s
            </span>
          )}
        </div>
      )}
      <Handle type="source" position={Position.Right} isConnectable={false} style={HIDDEN_HANDLE} />
    </div>
  );
});
