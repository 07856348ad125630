import type { ReasonFilter } from '../reasons.ts';
import { likelyDevice } from './device-of.ts';
import { compact, reasonLines } from './evidence.ts';
import type { Rule } from './types.ts';

const isStp = (g: { reason: string }) => g.reason === 'BRIDGE_INGRESS_STP_STATE';
const isBridge: ReasonFilter = (g) =>
  isStp(g) ||
  ((g.reason === 'NO_TX_TARGET' || g.reason === 'MAC_INVALID_SOURCE' || g.reason === 'VLAN_FILTER') &&
    g.location.startsWith('br_'));

/**
 * R20 bridge specifics (≈6.14+ reasons): frames refused by a port's STP state, a VLAN filter, an
 * invalid source MAC, or with no port to go to. STP drops land on a port that is not forwarding
 * (on the path first); the others on the busiest bridge.
 */
export const r20Bridge: Rule = {
  id: 'R20',
  name: 'Bridge specifics',
  confirmed(ctx) {
    const count = ctx.reasons.available(isBridge);
    if (count <= 0) return;
    const { groups } = ctx.reasons.take(isBridge);
    const stp = groups.some(isStp);
    const dev = stp
      ? likelyDevice(
          ctx,
          (f) => f.iface.master !== null && f.iface.portState !== null && f.iface.portState !== 'forwarding',
        )
      : likelyDevice(ctx, (f) => f.iface.kind === 'bridge');
    if (dev) ctx.ledger.add(dev.iface.id, count);
    const ns = dev?.iface.netns ? `-n ${dev.iface.netns} ` : '';
    ctx.findings.add({
      rule: 'R20',
      title: stp
        ? `Bridge port${dev ? ` ${dev.iface.id}` : ''} drops frames in STP state ${dev?.iface.portState ?? 'not forwarding'}`
        : `Bridge drops frames${dev ? ` on ${dev.iface.id}` : ''}: ${groups[0]?.reason.toLowerCase().replaceAll('_', ' ')}`,
      severity: 'loss',
      hop: dev?.iface.id ?? null,
      reason: groups[0]?.reason ?? null,
      count,
      evidence: compact([
        ...reasonLines(groups),
        dev?.iface.portState
          ? `${dev.iface.name} is a port of ${dev.iface.master} in state ${dev.iface.portState}`
          : null,
      ]),
      fix: stp
        ? 'The port is not forwarding (STP listening/learning/blocking, or disabled): on an edge bridge turn STP off or lower forward_delay; in a loop, the block is STP doing its job.'
        : 'Check the bridge: VLAN membership (`bridge vlan show`), the FDB for the destination (`bridge fdb show`), the sender of invalid source MACs.',
      command: dev ? `bridge ${ns}link show dev ${dev.iface.name}` : null,
    });
  },
};
