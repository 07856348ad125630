import { withReason } from '../reasons.ts';
import { likelyDevice } from './device-of.ts';
import { compact, reasonLines, txDroppedLine } from './evidence.ts';
import type { Rule } from './types.ts';

const isLoop = withReason('RECURSION_LIMIT', 'OVS_DROP_RECURSION_LIMIT', 'OVS_DROP_DEFERRED_LIMIT');

/**
 * R26 loops and recursion: a packet looping through virtual devices (a tunnel routed into
 * itself, an OVS loop) hits the kernel's recursion limit. Shown on a device whose tx_dropped
 * moved with it (the loop's device), else on no hop.
 */
export const r26Recursion: Rule = {
  id: 'R26',
  name: 'Loops and recursion',
  confirmed(ctx) {
    const count = ctx.reasons.available(isLoop);
    if (count <= 0) return;
    const { groups } = ctx.reasons.take(isLoop);
    const dev = likelyDevice(ctx, (f) => ctx.ledger.available(f.iface.id, 'tx') > 0);
    const claimed = dev ? ctx.ledger.claim(dev.iface.id, 'tx', count) : 0;
    if (dev && claimed < count) ctx.ledger.add(dev.iface.id, count - claimed);
    ctx.findings.add({
      rule: 'R26',
      title: `Packets looped until the kernel's recursion limit${dev ? ` on ${dev.iface.id}` : ''}`,
      severity: 'loss',
      hop: dev?.iface.id ?? null,
      reason: groups[0]?.reason ?? 'RECURSION_LIMIT',
      count,
      evidence: compact([...reasonLines(groups), dev ? txDroppedLine(dev) : null]),
      fix: 'A device sends into itself: a tunnel whose underlay route goes through the tunnel, or a loop of bridges/OVS patch ports. Fix the route (`ip route get REMOTE` must not leave by the tunnel) or break the loop.',
      command: null,
    });
  },
};
