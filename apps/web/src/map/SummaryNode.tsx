import { Handle, type NodeProps, Position } from '@xyflow/react';
import { memo, useCallback } from 'react';
import { type AppState, useApp } from '../store/index.ts';
import { KindIcon, StatusIcon } from '../ui/icons.tsx';
import { nsName, nsShort } from '../ui/names.ts';
import { STATUS_LABEL } from '../ui/status.ts';
import type { SummaryFlowNode } from './flowElements.ts';
import { HIDDEN_HANDLE, NODE_SIZE } from './IfaceNode.tsx';

/**
 * A collapsed namespace: one node standing for its hidden interfaces, with their worst status.
 * Inside its namespace's box (some of its hops are pinned on the map) the box already names the
 * namespace: the node then only says what is hidden, so the group does not appear twice.
 */
export const SummaryNode = memo(function SummaryNode({ data }: NodeProps<SummaryFlowNode>) {
  const { members, netns, role, inLane } = data;
  const ns = useApp(useCallback((s: AppState) => s.statusIndex.nsStatus.get(netns), [netns]));
  const worst = ns?.worst ?? 'idle';
  const losing = ns?.losing ?? 0;
  return (
    <div
      className="hop"
      style={NODE_SIZE}
      data-ns-summary={netns}
      data-in-lane={inLane}
      data-status={worst}
      data-testid="ns-summary"
      title={nsName(netns)}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} style={HIDDEN_HANDLE} />
      <div className="flex items-center gap-1.5 min-w-0">
        <span className="muted">
          <KindIcon kind="namespace" />
        </span>
        {inLane ? (
          <span className="font-semibold flex-1 whitespace-nowrap" style={{ fontSize: 12 }}>
            other interfaces
          </span>
        ) : (
          <span
            className="mono font-semibold flex-1 whitespace-nowrap overflow-hidden"
            style={{ fontSize: 12 }}
          >
            {nsShort(netns)}
          </span>
        )}
        <span
          className={`st-${worst} flex items-center gap-0.5 uppercase font-bold`}
          style={{ fontSize: 10 }}
        >
          <StatusIcon status={worst} size={13} />
          {STATUS_LABEL[worst]}
        </span>
      </div>
      <div className="muted flex gap-2" style={{ fontSize: 11 }}>
        {role !== null && !inLane && <span className="font-semibold whitespace-nowrap">{role}</span>}
        <span className="whitespace-nowrap">{members.length} ifaces</span>
        {losing > 0 && <span className="st-loss font-semibold whitespace-nowrap">{losing} losing</span>}
        <span className="ml-auto underline">expand</span>
      </div>
      <Handle type="source" position={Position.Right} isConnectable={false} style={HIDDEN_HANDLE} />
    </div>
  );
});
