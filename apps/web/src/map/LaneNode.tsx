import type { NodeProps } from '@xyflow/react';
import { memo, useCallback } from 'react';
import { type AppState, appStore, useApp } from '../store/index.ts';
import { StatusIcon } from '../ui/icons.tsx';
import { middleEllipsis, NS_LABEL_MAX_CHARS, nsName } from '../ui/names.ts';
import { STATUS_LABEL } from '../ui/status.ts';
import type { LaneFlowNode } from './flowElements.ts';

/**
 * A namespace as a lane (or, in path mode, a band of the path): header with its role, its name
 * (shortened in the middle, whole on hover), worst-status badge and a collapse toggle.
 */
/** Header room the name cannot use (toggle, role tag, status badge, padding), px; mono 11.5 px ≈ 7 px a character. */
const HEADER_FIXED_PX = 120;
const HEADER_CHAR_PX = 7;

export const LaneNode = memo(function LaneNode({ data, width }: NodeProps<LaneFlowNode>) {
  const { netns, members, collapsed, role, onPath } = data;
  const worst = useApp(
    useCallback((s: AppState) => s.statusIndex.nsStatus.get(netns)?.worst ?? 'idle', [netns]),
  );
  const toggle = () => appStore.getState().setNamespaceCollapsed(netns, !collapsed);
  const whole = nsName(netns);
  // Shortened in the middle to what the box holds (a one-hop band on the path is narrow).
  const room = Math.max(
    8,
    Math.floor(((width ?? 400) - HEADER_FIXED_PX + (role === null ? 50 : 0)) / HEADER_CHAR_PX),
  );
  return (
    <div
      className="lane w-full h-full"
      data-ns={netns}
      data-role={role ?? undefined}
      data-on-path={onPath}
      data-status={worst}
      data-testid="lane"
    >
      <div className="lane-head flex items-center gap-1.5 px-2" style={{ height: 24, fontSize: 11.5 }}>
        {!onPath && (
          <button
            type="button"
            className="nopan muted"
            onClick={toggle}
            aria-label={`${collapsed ? 'expand' : 'collapse'} namespace ${whole}`}
            title={`${collapsed ? 'expand' : 'collapse'} (${members.length} interfaces)`}
          >
            {collapsed ? '▸' : '▾'}
          </button>
        )}
        {role !== null && (
          <span className="lane-role uppercase font-bold" data-testid="lane-role">
            {role}
          </span>
        )}
        <span className="mono font-semibold whitespace-nowrap min-w-0 overflow-hidden" title={whole}>
          {middleEllipsis(whole, Math.min(room, NS_LABEL_MAX_CHARS + 10))}
        </span>
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
