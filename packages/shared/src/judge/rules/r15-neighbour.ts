import { withReason } from '../reasons.ts';
import { reasonLines } from './evidence.ts';
import type { Rule } from './types.ts';

const isNeighFailure = withReason('NEIGH_FAILED', 'NEIGH_DEAD', 'NEIGH_QUEUEFULL');

/**
 * R15 unresolved neighbour: packets queued for a next hop that never answered ARP/ND (or too
 * many queued while it was pending). The reasons carry no device, so no hop; a down link on the
 * way (R25) takes them first, since that is usually why nobody answers.
 */
export const r15Neighbour: Rule = {
  id: 'R15',
  name: 'Unresolved neighbour',
  confirmed(ctx) {
    const { count, groups } = ctx.reasons.take(isNeighFailure);
    if (count <= 0) return;
    const queueFull = groups.some((g) => g.reason === 'NEIGH_QUEUEFULL');
    ctx.findings.add({
      rule: 'R15',
      title: queueFull
        ? 'Packets dropped while waiting for a neighbour (ARP/ND queue full)'
        : 'Neighbour resolution failed: packets for an unreachable next hop were dropped',
      severity: 'loss',
      hop: null,
      reason: groups[0]?.reason ?? null,
      count,
      evidence: reasonLines(groups),
      fix: queueFull
        ? 'Too many packets queued while ARP/ND was pending: make sure the next hop answers, and raise net.ipv4.neigh.DEV.unres_qlen_bytes only for legitimate bursts.'
        : 'The next hop does not answer ARP/ND: check that it is up and on the same layer-2 segment (`ip neigh show` lists FAILED/INCOMPLETE entries).',
      command: 'ip neigh show nud failed',
    });
  },
};
