import { BaseEdge, type EdgeProps, getSmoothStepPath } from '@xyflow/react';
import { memo, useCallback } from 'react';
import { type AppState, useApp } from '../store/index.ts';
import type { HopFlowEdge } from './flowElements.ts';
import { edgePathState } from './selectors.ts';

/** An edge subscribes only to whether it is on the path (a primitive): ticks leave it alone. */
export const HopEdge = memo(function HopEdge(props: EdgeProps<HopFlowEdge>) {
  const { source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data } = props;
  const state = useApp(useCallback((s: AppState) => edgePathState(s, source, target), [source, target]));
  const [path] = getSmoothStepPath({
    sourceX,
    sourceY,
    targetX,
    targetY,
    sourcePosition,
    targetPosition,
    borderRadius: 10,
  });
  return (
    <BaseEdge
      path={path}
      className="hop-edge"
      data-kind={data?.kind}
      data-on-path={state !== 'off'}
      data-loss={state === 'loss'}
      interactionWidth={0}
    />
  );
});
