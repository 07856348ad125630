import type { HopFacts } from '../facts.ts';
import { POOLS } from '../facts.ts';
import { fmtDelta, nsCommand } from '../format.ts';
import { shellWord } from '../../text.ts';
import { atLocation, type ReasonFilter, type ReasonGroup, withReason } from '../reasons.ts';
import { compact, reasonLines } from './evidence.ts';
import type { Rule, RuleContext } from './types.ts';

/**
 * The hop to blame for a down link: the one set down by someone. A veth whose peer is admin down,
 * or an upper device whose lower is down, is a consequence (no carrier) and shows as down without
 * a finding of its own.
 */
function isConsequence(ctx: RuleContext, f: HopFacts): boolean {
  if (!f.iface.adminUp) return false;
  if (f.peer && !f.peer.adminUp) return true;
  const lower = f.iface.lower === null ? null : ctx.facts.get(f.iface.lower);
  return lower?.down ?? false;
}

function stateLine(f: HopFacts): string {
  const i = f.iface;
  const parts = [i.adminUp ? 'admin up' : 'admin down', `operstate ${i.operstate}`];
  if (i.carrier === false) parts.push('no carrier');
  if (i.portState !== null && i.master !== null) parts.push(`port ${i.portState} in ${i.master}`);
  return `${i.id}: ${parts.join(', ')}`;
}

const isDevReady = withReason('DEV_READY');
/** What a sender does with packets for a link that is down: drop at transmit... */
const atXmit: ReasonFilter = (g) =>
  atLocation(
    '__dev_queue_xmit',
    'dev_hard_start_xmit',
    'veth_xmit',
    '__dev_forward_skb',
    '__dev_forward_skb2',
  )(g) && withReason('QDISC_DROP', 'NOT_SPECIFIED')(g);
/** ...or, one layer up, give up resolving the neighbour behind it... */
const isNeighFailure = withReason('NEIGH_FAILED', 'NEIGH_DEAD');
/** ...or, in a bridge, drop frames for a port that is disabled (seen on the lab: br_handle_frame_finish, br_handle_frame). */
const inBridge: ReasonFilter = (g) => g.location.startsWith('br_') || g.location.startsWith('__br_');

/**
 * R25 device not up. A down hop that should carry traffic (on the path, a bridge port, a bridge
 * with ports, a veth whose peer is up, or whose counters moved) takes every drop counted on it and
 * on its no-carrier peer, and the kernel's DEV_READY drops.
 */
export const r25Down: Rule = {
  id: 'R25',
  name: 'Device not up',
  confirmed(ctx) {
    const down = [...ctx.facts.values()].filter((f) => f.down && f.shouldCarry);
    const roots = down.filter((f) => !isConsequence(ctx, f));
    for (const f of roots) {
      const followers = down.filter(
        (d) =>
          d !== f && isConsequence(ctx, d) && (d.peer?.id === f.iface.id || d.iface.lower === f.iface.id),
      );
      let count = 0;
      for (const h of [f, ...followers])
        for (const p of POOLS) count += ctx.ledger.claim(h.iface.id, p, Number.POSITIVE_INFINITY);
      // The kernel's words for the same drops: DEV_READY, transmit drops up to what the counters
      // saw, and (first down hop only: reasons carry no device) failed neighbour resolution.
      const first = f === roots[0];
      const groups: ReasonGroup[] = [
        ...ctx.reasons.take(isDevReady, first ? Number.POSITIVE_INFINITY : 0).groups,
        ...ctx.reasons.take(atXmit, count).groups,
      ];
      // A down bridge disables its ports: their frames are dropped in bridge code too (R20's
      // BRIDGE_INGRESS_STP_STATE on ≥ 6.14), and they are this rule's.
      const isPort = [f, ...followers].some((h) => h.iface.master !== null || h.iface.kind === 'bridge');
      groups.push(...ctx.reasons.take(inBridge, isPort ? Number.POSITIVE_INFINITY : 0).groups);
      const neigh = ctx.reasons.take(isNeighFailure, first ? Number.POSITIVE_INFINITY : 0);
      const uncounted = Math.max(0, groups.reduce((n, g) => n + g.count, 0) - count) + neigh.count;
      ctx.ledger.add(f.iface.id, uncounted);
      count += uncounted;
      const onPath = [f, ...followers].some((h) => h.pathIndex !== null);
      const i = f.iface;
      const what = i.adminUp ? 'has no carrier' : 'is down';
      const command = i.adminUp
        ? nsCommand('ip', i.netns, `link show dev ${shellWord(i.name)}`)
        : nsCommand('ip', i.netns, `link set dev ${shellWord(i.name)} up`);
      ctx.findings.add({
        rule: 'R25',
        title: `${i.id} ${what}${i.master !== null ? ` (a port of ${i.master})` : ''}`,
        severity: onPath || count > 0 ? 'loss' : 'warn',
        hop: i.id,
        reason: groups[0]?.reason ?? neigh.groups[0]?.reason ?? null,
        count,
        evidence: compact([
          stateLine(f),
          ...followers.map((d) => `${stateLine(d)} (because ${i.name} is down)`),
          count > 0 ? `${fmtDelta(count)} packets dropped trying to use it` : null,
          onPath ? 'on the selected path: nothing gets through' : null,
          ...reasonLines(groups),
          ...reasonLines(neigh.groups).map((l) => `${l} (no neighbour answers across the down link)`),
        ]),
        fix: i.adminUp
          ? `${i.id} is up but has no carrier: check its peer or link partner${f.peer ? ` (${f.peer.id})` : ''}.`
          : `Bring it up: \`${command}\` (and find out who set it down).`,
        command,
      });
    }
  },
};
