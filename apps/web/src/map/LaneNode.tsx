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
      <div className="lane-head flex items-center gap-1.5 px-2" style={{ height: 24, fontSize: 11.5 }}>
        <button
          type="button"
          className="nopan muted"
          onClick={toggle}
          aria-label={`${collapsed ? 'expand' : 'collapse'} namespace ${nsLabel(netns)}`}
          title={`${collapsed ? 'expand' : 'collapse'} (${members.length} interfaces)`}
        >
          {collapsed ? '▸' : '▾'}
        </button>
        <span className="mono font-semibold truncate">{nsLabel(netns)}</span>
        <span
          className={`st-${worst} flex items-center gap-0.5 uppercase font-bold ml-auto`}
          style={{ fontSize: 10 }}
        >
          <StatusIcon status={worst} size={12} />
          {STATUS_LABEL[worst]}
        </span>
      </div>
    </div>
  );
});
