import { shellWord } from '../../text.ts';
import { nsCommand } from '../format.ts';
import type { ReasonFilter } from '../reasons.ts';
import { likelyDevice } from './device-of.ts';
import { compact, peerTxDroppedLine, reasonLines, rxDroppedLine } from './evidence.ts';
import type { Rule } from './types.ts';

/** A full NAPI ring frees the packet in veth's own code (dev_kfree_skb_any: NOT_SPECIFIED). */
const isVethRing: ReasonFilter = (g) =>
  g.reason === 'NOT_SPECIFIED' && (g.location === 'veth_xdp_rx' || g.location === 'veth_xmit');

/**
 * R07 veth NAPI ring full: a veth whose peer receives in NAPI mode (GRO or XDP on) drops on its
 * ptr_ring, not on the CPU backlog: the sender's tx_dropped moves, softnet column 2 does not, and
 * the kernel frees the packet in veth_xdp_rx/veth_xmit. Shown on the receiving end of the pair
 * whose sender counted the drops (the path first).
 */
export const r07VethRing: Rule = {
  id: 'R07',
  name: 'veth NAPI ring full',
  confirmed(ctx) {
    const count = ctx.reasons.available(isVethRing);
    if (count <= 0) return;
    const { groups } = ctx.reasons.take(isVethRing);
    const f = likelyDevice(
      ctx,
      (x) =>
        x.iface.kind === 'veth' &&
        (x.peerC?.txDropped ?? 0) > 0 &&
        ctx.ledger.available(x.iface.id, 'rx') > 0,
    );
    const claimed = f ? ctx.ledger.claim(f.iface.id, 'rx', count) : 0;
    if (f && claimed < count) ctx.ledger.add(f.iface.id, count - claimed);
    const peer = f?.peer;
    const command = peer
      ? nsCommand('tc', peer.netns, `qdisc replace dev ${shellWord(peer.name)} root fq_codel`)
      : null;
    ctx.findings.add({
      rule: 'R07',
      title: `veth ring full${f && peer ? `: ${peer.id} could not hand packets to ${f.iface.id}` : ''}`,
      severity: 'loss',
      hop: f?.iface.id ?? null,
      reason: 'NOT_SPECIFIED',
      count,
      evidence: compact([
        ...reasonLines(groups),
        f ? peerTxDroppedLine(f) : null,
        f ? rxDroppedLine(f) : null,
        `softnet dropped +${ctx.window.softnet.reduce((s, r) => s + r.dropped, 0)}: the peer receives in NAPI mode (GRO or XDP on), not through the CPU backlog`,
      ]),
      fix: `The receiving veth's NAPI ring filled: on kernels ≥ 6.16 a qdisc on the sender turns drops into backpressure${command ? ` (\`${command}\`)` : ''}; else more veth queues (\`ip link add ... numrxqueues N\`) or more CPU for the receiver.`,
      command,
    });
  },
};
