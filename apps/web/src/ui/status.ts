import type { HopStatus } from '@hopwatch/shared';
import { HOP_STATUSES } from '@hopwatch/shared/protocol/constants';

/** Words for each status: colour is never the only signal (design.md, Web contract). */
export const STATUS_LABEL: Record<HopStatus, string> = {
  idle: 'idle',
  ok: 'ok',
  warn: 'warn',
  loss: 'loss',
  down: 'down',
};

export const STATUS_MEANING: Record<HopStatus, string> = {
  idle: 'no packets in the window',
  ok: 'passing packets, no loss',
  warn: 'errors or a suspicious signal, no confirmed loss',
  loss: 'packets are lost at this hop',
  down: 'interface is down',
};

const RANK = new Map(HOP_STATUSES.map((s, i) => [s, i]));

/** Worst of a set of statuses (idle < ok < warn < loss < down, as HOP_STATUSES orders them). */
export function worstStatus(statuses: Iterable<HopStatus>): HopStatus {
  let worst: HopStatus = 'idle';
  for (const s of statuses) if ((RANK.get(s) ?? 0) > (RANK.get(worst) ?? 0)) worst = s;
  return worst;
}
