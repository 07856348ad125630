import type { HopStatus } from '@hopwatch/shared';
import type { HopStat } from '../judge/evaluate.ts';
import type { AppState } from '../store/index.ts';
import { worstStatus } from '../ui/status.ts';

/** Module-scope selectors for the canvas; per-id ones are factories memoised by the caller. */
export const selectViewGraph = (s: AppState) => s.viewGraph;
export const selectLayout = (s: AppState) => s.layout;
export const selectTopology = (s: AppState) => s.topology;
export const selectIfaceById = (s: AppState) => s.ifaceById;
export const selectPath = (s: AppState) => s.path;
export const selectPicking = (s: AppState) => s.picking;
export const selectSel = (s: AppState) => s.sel;

export const statOf = (id: string) => (s: AppState) => s.statsById.get(id);

const coarseCache = new Map<string, HopStat>();
/**
 * What a node shows when zoomed out (status and path number, no rates): one shared object per
 * (status, path index), so a tick that changes only numbers re-renders no zoomed-out node.
 */
export const coarseStatOf = (id: string) => (s: AppState) => {
  const st = s.statsById.get(id);
  if (st === undefined) return undefined;
  const key = `${st.status}|${st.pathIndex ?? ''}`;
  let c = coarseCache.get(key);
  if (c === undefined) {
    c = {
      status: st.status,
      pathIndex: st.pathIndex,
      rxPps: 0,
      txPps: 0,
      drops: 0,
      dropsPerSec: 0,
      lossRatio: 0,
      rules: '',
      notes: '',
    };
    coarseCache.set(key, c);
  }
  return c;
};
export const isSelected = (id: string) => (s: AppState) => s.sel === id;

/** Worst status of a namespace's members: a primitive, so the badge re-renders only when it changes. */
export function worstOf(members: readonly string[], stats: ReadonlyMap<string, HopStat>): HopStatus {
  return worstStatus(members.map((id) => stats.get(id)?.status ?? 'idle'));
}

export function lossCountOf(members: readonly string[], stats: ReadonlyMap<string, HopStat>): number {
  let n = 0;
  for (const id of members) if (stats.get(id)?.status === 'loss') n++;
  return n;
}

export type EdgePathState = 'off' | 'on' | 'loss';

/** An edge is on the path when its ends are consecutive hops; 'loss' when it leads into a loss hop. */
export function edgePathState(s: AppState, source: string, target: string): EdgePathState {
  const path = s.path;
  if (path === null) return 'off';
  const i = path.indexOf(source);
  const j = path.indexOf(target);
  if (i < 0 || j < 0 || Math.abs(i - j) !== 1) return 'off';
  const later = i > j ? source : target;
  return s.statsById.get(later)?.status === 'loss' ? 'loss' : 'on';
}
