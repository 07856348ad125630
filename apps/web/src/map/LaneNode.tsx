import type { NodeProps } from '@xyflow/react';
import { memo, useCallback } from 'react';
import { type AppState, appStore, useApp } from '../store/index.ts';
import { nsLabel } from '../ui/format.ts';
import { StatusIcon } from '../ui/icons.tsx';
import { STATUS_LABEL } from '../ui/status.ts';
import type { LaneFlowNode } from './flowElements.ts';
import { worstOf } from './selectors.ts';

/** A namespace as a lane: header with its name, worst-status badge and a collapse toggle. */
export const LaneNode = memo(function LaneNode({ data }: NodeProps<LaneFlowNode>) {
  const { netns, members, collapsed } = data;
  const worst = useApp(useCallback((s: AppState) => worstOf(members, s.statsById), [members]));
  const toggle = () => appStore.getState().setNamespaceCollapsed(netns, !collapsed);
  return (
    <div className="lane w-full h-full" data-ns={netns} data-status={worst} data-testid="lane">
      <div className="lane-head flex items-center gap-2 px-2" style={{ height: 24, fontSize: 11.5 }}>
        <span className="mono font-semibold">{nsLabel(netns)}</span>
        <span
          className={`st-${worst} flex items-center gap-0.5 uppercase font-bold`}
          style={{ fontSize: 10 }}
        >
          <StatusIcon status={worst} size={12} />
          {STATUS_LABEL[worst]}
        </span>
        <span className="muted">{members.length} if</span>
        <button
          type="button"
          className="nopan muted hover:underline ml-auto"
          onClick={toggle}
          aria-label={`${collapsed ? 'expand' : 'collapse'} namespace ${nsLabel(netns)}`}
        >
          {collapsed ? '▸ expand' : '▾ collapse'}
        </button>
      </div>
    </div>
  );
});
