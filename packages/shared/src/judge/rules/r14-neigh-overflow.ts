import { fmtCount } from '../format.ts';
import { withReason } from '../reasons.ts';
import { compact, reasonLines } from './evidence.ts';
import type { Rule, RuleContext } from './types.ts';

export const GC_THRESH3 = 'net.ipv4.neigh.default.gc_thresh3';
const isCreateFail = withReason('NEIGH_CREATEFAIL');

/** Neighbour entries over every namespace: the ARP table and its limits are shared by all of them. */
function totalNeighbours(ctx: RuleContext): number {
  return Object.values(ctx.window.nsproto ?? {}).reduce((s, p) => s + (p.neighbours ?? 0), 0);
}

/**
 * R14 neighbour table overflow: no new ARP/ND entry could be made (NEIGH_CREATEFAIL, "neighbor
 * table overflow!"). The table and gc_thresh3 are global, so hundreds of router namespaces
 * exhaust it together: on no hop; a warning when the entries reach the limit without drops yet.
 */
export const r14NeighOverflow: Rule = {
  id: 'R14',
  name: 'Neighbour table overflow',
  confirmed(ctx) {
    const count = ctx.reasons.available(isCreateFail);
    const total = totalNeighbours(ctx);
    const limit = ctx.window.sysctls[GC_THRESH3];
    const near = limit !== undefined && total >= 0.9 * limit;
    if (count <= 0 && !near) return;
    const { groups } = ctx.reasons.take(isCreateFail);
    const next = Math.max(4096, 4 * (limit ?? 1024));
    const command = `sysctl -w net.ipv4.neigh.default.gc_thresh1=${next / 4} net.ipv4.neigh.default.gc_thresh2=${next / 2} ${GC_THRESH3}=${next}`;
    ctx.findings.add({
      rule: 'R14',
      title:
        count > 0 ? 'Neighbour table overflow: new ARP/ND entries refused' : 'Neighbour table nearly full',
      severity: count > 0 ? 'loss' : 'warn',
      hop: null,
      reason: count > 0 ? 'NEIGH_CREATEFAIL' : null,
      count,
      evidence: compact([
        ...reasonLines(groups),
        `${fmtCount(total)} neighbour entries over all namespaces${limit === undefined ? '' : ` (${GC_THRESH3} = ${fmtCount(limit)}, shared by every namespace)`}`,
      ]),
      fix: `Raise the global limits (host namespace): \`${command}\` (and the net.ipv6.neigh.default.* ones for IPv6).`,
      command,
    });
  },
};
