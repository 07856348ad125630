import { fmtCount } from '../format.ts';
import type { ReasonFilter } from '../reasons.ts';
import { likelyDevice } from './device-of.ts';
import { compact, reasonLines } from './evidence.ts';
import type { Rule } from './types.ts';

const VXLAN_REASONS = new Set([
  'VXLAN_VNI_NOT_FOUND',
  'VXLAN_INVALID_HDR',
  'VXLAN_ENTRY_EXISTS',
  'IP_TUNNEL_ECN',
  'TUNNEL_TXINFO',
]);
/** NO_TX_TARGET and MAC_INVALID_SOURCE are VXLAN's only in vxlan code (the bridge has its own: R20). */
const isVxlan: ReasonFilter = (g) =>
  VXLAN_REASONS.has(g.reason) ||
  ((g.reason === 'NO_TX_TARGET' || g.reason === 'MAC_INVALID_SOURCE') && g.location.startsWith('vxlan'));

const FIX: Record<string, string> = {
  VXLAN_VNI_NOT_FOUND:
    'Packets arrived for a VNI no vxlan device here has: align the VNI on both ends (`ip -d link show type vxlan`), or create the device for it.',
  VXLAN_INVALID_HDR:
    'The VXLAN header is not what this device expects (flags, GPE/GBP): the sender uses another encapsulation or extension; align them.',
  NO_TX_TARGET:
    'No FDB entry or remote for the destination MAC: add the remote (`bridge fdb append 00:00:00:00:00:00 dev VXLAN dst REMOTE`) or fix l2population.',
  MAC_INVALID_SOURCE:
    'Frames with an invalid source MAC (multicast/zero) arrived over the tunnel: find the sender.',
};

/**
 * R19 VXLAN specifics: the kernel's VXLAN reasons (≈6.13+) say what is wrong with the tunnel
 * (unknown VNI, bad header, no remote for the destination). Shown on the vxlan device: on the
 * path first, else the busiest one.
 */
export const r19Vxlan: Rule = {
  id: 'R19',
  name: 'VXLAN specifics',
  confirmed(ctx) {
    const count = ctx.reasons.available(isVxlan);
    if (count <= 0) return;
    const { groups } = ctx.reasons.take(isVxlan);
    const dev = likelyDevice(ctx, (f) => f.iface.kind === 'vxlan');
    if (dev) ctx.ledger.add(dev.iface.id, count);
    const first = groups[0]?.reason ?? 'VXLAN_VNI_NOT_FOUND';
    const vx = dev?.iface.vxlan;
    ctx.findings.add({
      rule: 'R19',
      title: `VXLAN drops${dev ? ` on ${dev.iface.id}` : ''}: ${first.toLowerCase().replaceAll('_', ' ')}`,
      severity: 'loss',
      hop: dev?.iface.id ?? null,
      reason: first,
      count,
      evidence: compact([
        ...reasonLines(groups),
        vx
          ? `${dev?.iface.name}: VNI ${vx.vni ?? '?'}, port ${vx.port ?? '?'}, remote ${vx.remote ?? 'none (FDB)'}`
          : null,
        dev ? null : `no vxlan device in the topology: ${fmtCount(count)} drops not tied to a hop`,
      ]),
      fix: FIX[first] ?? FIX.VXLAN_INVALID_HDR!,
      command: dev
        ? `ip ${dev.iface.netns ? `-n ${dev.iface.netns} ` : ''}-d link show dev ${dev.iface.name}`
        : null,
    });
  },
};
