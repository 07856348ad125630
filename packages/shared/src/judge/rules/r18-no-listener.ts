import { withReason } from '../reasons.ts';
import { compact, reasonLines } from './evidence.ts';
import { nsLabel, receivingHop, snmpMoved } from './netns-hop.ts';
import type { Rule } from './types.ts';

const NO_PORTS = ['Udp.NoPorts', 'Udp6.NoPorts'];
const isNoSocket = withReason('NO_SOCKET');

/**
 * R18 no listener: traffic delivered to a port nobody listens on. It got where it was sent, so
 * it is information, never a red hop (scans, tests; or a VXLAN underlay on the wrong UDP port).
 */
export const r18NoListener: Rule = {
  id: 'R18',
  name: 'No listener',
  confirmed(ctx) {
    const moved = snmpMoved(ctx, NO_PORTS);
    if (moved.length === 0 && ctx.reasons.available(isNoSocket) === 0) return;
    const spaces =
      moved.length > 0 ? moved : [{ netns: null, total: ctx.reasons.available(isNoSocket), lines: [] }];
    spaces.forEach((s, k) => {
      // Per-namespace counters and traced reasons are read at slightly different moments: the
      // last namespace takes what is left of the reasons, so no NO_SOCKET is left over as noise.
      const { groups } = ctx.reasons.take(
        isNoSocket,
        k === spaces.length - 1 ? Number.POSITIVE_INFINITY : s.total,
      );
      const hop = s.netns === null ? null : receivingHop(ctx, s.netns);
      ctx.findings.add({
        rule: 'R18',
        title: `Traffic to a port with no listener${s.netns === null ? '' : ` in ${nsLabel(s.netns)}`} (delivered, then discarded)`,
        severity: 'info',
        hop: hop?.iface.id ?? null,
        reason: 'NO_SOCKET',
        count: s.total,
        evidence: compact([...s.lines, ...reasonLines(groups)]),
        fix: 'Nothing is lost on the way: nobody listens on the destination port. If the traffic matters, start the service or fix the port (a VXLAN underlay: Linux default 8472 vs IANA 4789).',
        command: null,
      });
    });
  },
};
