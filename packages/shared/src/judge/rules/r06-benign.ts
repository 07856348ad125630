import { fmtDelta } from '../format.ts';
import { withReason } from '../reasons.ts';
import { compact, ranked, reasonLines, rxDroppedLine } from './evidence.ts';
import type { Rule } from './types.ts';

/**
 * Frames nobody asked for: an EtherType no one handles (LLDP without lldpd, VLAN tags without a
 * sub-interface), IPv6 where it is disabled, frames for another host on a promiscuous port, MAC
 * control frames. The kernel counts them in rx_dropped by design (drop-causes.md R06).
 */
export const BENIGN_REASONS = [
  'UNHANDLED_PROTO',
  'IPV6DISABLED',
  'OTHERHOST',
  'MAC_IEEE_MAC_CONTROL',
  'UNICAST_IN_L2_MULTICAST',
  'IPV6_NDISC_NS_OTHERHOST',
];
const isBenign = withReason(...BENIGN_REASONS);

/** R06 benign rx_dropped: a warning (grey), never loss. */
export const r06Benign: Rule = {
  id: 'R06',
  name: 'Benign rx_dropped',
  confirmed(ctx) {
    if (ctx.reasons.available(isBenign) === 0) return;
    // Physical NICs and bridge ports first: that is where such frames arrive from outside.
    const hops = ranked(
      ctx,
      (f) =>
        Number(f.iface.kind === 'physical' || f.iface.master !== null) * 1e12 +
        ctx.ledger.available(f.iface.id, 'rx'),
      (f) => ctx.ledger.available(f.iface.id, 'rx') > 0,
    );
    for (const f of hops) {
      const want = Math.min(ctx.ledger.available(f.iface.id, 'rx'), ctx.reasons.available(isBenign));
      if (want <= 0) break;
      const { groups } = ctx.reasons.take(isBenign, want);
      const n = ctx.ledger.claim(f.iface.id, 'rx', want, 'benign');
      ctx.findings.add(
        finding(
          f.iface.id,
          n,
          compact([rxDroppedLine(f), ...reasonLines(groups)]),
          groups[0]?.reason ?? null,
        ),
      );
    }
    const { count, groups } = ctx.reasons.take(isBenign);
    if (count > 0) {
      ctx.findings.add(
        finding(
          null,
          count,
          [...reasonLines(groups), `${fmtDelta(count)} not matched to an interface's rx_dropped`],
          groups[0]?.reason ?? null,
        ),
      );
    }
  },
};

function finding(hop: string | null, count: number, evidence: string[], reason: string | null) {
  return {
    rule: 'R06',
    title: `Frames nobody handles were discarded${hop ? ` on ${hop}` : ''} (not lost traffic)`,
    severity: hop ? ('warn' as const) : ('info' as const),
    hop,
    reason,
    count,
    evidence,
    fix: 'Nothing to fix: the kernel counts frames of protocols nobody listens for (LLDP, unknown EtherTypes, IPv6 where it is disabled, frames for other hosts) in rx_dropped. Run lldpd or filter them upstream if the counter bothers you.',
    command: null,
  };
}
