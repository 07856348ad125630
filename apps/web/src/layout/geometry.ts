import type { Cell, Lane } from './types.ts';

/**
 * Node box: two dense lines (name + status, rates + drops) at 12 px. Wide enough for a whole
 * 15-character interface name (IFNAMSIZ) in 12 px mono beside its icon and a LOSS badge.
 */
export const NODE_W_PX = 212;
export const NODE_H_PX = 46;
/** Column pitch: the gap leaves room for an edge to bend between layers. */
export const COL_W_PX = 250;
export const ROW_H_PX = 60;
/** Lane header (namespace name, badge, toggle) sits in the row above the lane's first node row. */
export const LANE_HEADER_PX = 28;
/** Below the last row the box stays inside the row pitch: a bare lane may sit in the next row. */
export const LANE_PAD_PX = 8;

export function cellPosition(c: Cell): { x: number; y: number } {
  return { x: c.col * COL_W_PX, y: c.row * ROW_H_PX };
}

/** A bare lane's box is its summary node with a small margin (for overlap checks; not drawn). */
const BARE_MARGIN_PX = 4;

export function laneRect(l: Lane): { x: number; y: number; width: number; height: number } {
  if (l.bare) {
    return {
      x: l.col0 * COL_W_PX - BARE_MARGIN_PX,
      y: l.row0 * ROW_H_PX - BARE_MARGIN_PX,
      width: NODE_W_PX + 2 * BARE_MARGIN_PX,
      height: NODE_H_PX + 2 * BARE_MARGIN_PX,
    };
  }
  return {
    x: l.col0 * COL_W_PX - LANE_PAD_PX,
    y: l.row0 * ROW_H_PX - LANE_HEADER_PX,
    width: (l.col1 - l.col0) * COL_W_PX + NODE_W_PX + 2 * LANE_PAD_PX,
    height: LANE_HEADER_PX + (l.rows - 1) * ROW_H_PX + NODE_H_PX + LANE_PAD_PX,
  };
}
