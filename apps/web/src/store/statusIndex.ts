import type { HopStatus, Iface } from '@hopwatch/shared';
import type { HopStat } from '../judge/evaluate.ts';
import { worstStatus } from '../ui/status.ts';

/** A namespace's status as its folded node and its lane header show it. */
export interface NsStatus {
  worst: HopStatus;
  /** Interfaces of the namespace losing packets. */
  losing: number;
}

export interface StatusIndex {
  nsStatus: Map<string, NsStatus>;
  /** Hops losing packets or down, sorted, '\n'-joined (they stay visible in folded namespaces). */
  alarmKey: string;
}

export const EMPTY_STATUS_INDEX: StatusIndex = { nsStatus: new Map(), alarmKey: '' };

/**
 * Per-namespace worst status and loss count, and the hops in alarm, rebuilt only when some
 * hop's status changed (rare), not on every tick: a hundred folded namespaces each scanning their
 * members on every sample was most of a tick on a big host. Unchanged namespaces keep their object.
 */
export function indexStatuses(
  stats: ReadonlyMap<string, HopStat>,
  ifaceById: ReadonlyMap<string, Iface>,
  prev: StatusIndex,
): StatusIndex {
  const byNs = new Map<string, HopStatus[]>();
  const alarms: string[] = [];
  for (const [id, st] of stats) {
    const ns = ifaceById.get(id)?.netns;
    if (ns === undefined) continue;
    const list = byNs.get(ns) ?? [];
    list.push(st.status);
    byNs.set(ns, list);
    if (st.status === 'loss' || st.status === 'down') alarms.push(id);
  }
  const nsStatus = new Map<string, NsStatus>();
  for (const [ns, list] of byNs) {
    const next = { worst: worstStatus(list), losing: list.filter((x) => x === 'loss').length };
    const old = prev.nsStatus.get(ns);
    nsStatus.set(
      ns,
      old !== undefined && old.worst === next.worst && old.losing === next.losing ? old : next,
    );
  }
  return { nsStatus, alarmKey: alarms.sort().join('\n') };
}

/** Whether applying `changed` over `before` can move any status (else the index stands). */
export function statusMoved(
  before: ReadonlyMap<string, HopStat>,
  changed: readonly [string, HopStat][],
  removed: readonly string[],
): boolean {
  if (removed.length > 0) return true;
  for (const [id, st] of changed) if (before.get(id)?.status !== st.status) return true;
  return false;
}
