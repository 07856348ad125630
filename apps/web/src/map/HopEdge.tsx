import { BaseEdge, type EdgeProps, getSmoothStepPath } from '@xyflow/react';
import { memo, useCallback } from 'react';
import { NODE_W_PX } from '../layout/geometry.ts';
import { type AppState, useApp } from '../store/index.ts';
import type { HopFlowEdge } from './flowElements.ts';
import { edgePathState } from './selectors.ts';

/** How far a same-column bracket reaches right of the nodes (inside the gap between columns). */
const BRACKET_PX = 14;

/** An edge subscribes only to whether it is on the path (a primitive): ticks leave it alone. */
export const HopEdge = memo(function HopEdge(props: EdgeProps<HopFlowEdge>) {
  const { source, target, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, data } = props;
  const state = useApp(useCallback((s: AppState) => edgePathState(s, source, target), [source, target]));
  // Same column (the target's left handle is left of the source's right one): a bracket on the
  // right side, instead of a loop around both nodes.
  const sameColumn = targetX < sourceX;
  const path = sameColumn
    ? `M${sourceX},${sourceY} H${sourceX + BRACKET_PX} V${targetY} H${targetX + NODE_W_PX}`
    : getSmoothStepPath({
        sourceX,
        sourceY,
        targetX,
        targetY,
        sourcePosition,
        targetPosition,
        borderRadius: 10,
      })[0];
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
