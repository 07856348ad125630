import { nsCommand } from '../format.ts';
import { withReason } from '../reasons.ts';
import { compact, reasonLines, sysctlLine } from './evidence.ts';
import { nsLabel, receivingHop, snmpMoved } from './netns-hop.ts';
import type { Rule } from './types.ts';

export const RMEM_MAX = 'net.core.rmem_max';
export const RMEM_MAX_DEFAULT = 212_992;
/** Udp.InErrors includes RcvbufErrors; ListenDrops includes ListenOverflows: count each drop once. */
const SOCKET_DROPS = [
  'Udp.RcvbufErrors',
  'Udp6.RcvbufErrors',
  'TcpExt.TCPRcvQDrop',
  'TcpExt.TCPBacklogDrop',
  'TcpExt.ListenDrops',
];
const isSocketDrop = withReason('SOCKET_RCVBUFF', 'SOCKET_BACKLOG', 'PROTO_MEM', 'TCP_LISTEN_OVERFLOW');

/**
 * R17 socket buffer / listen overflow: delivered to the namespace, then dropped because the
 * application did not read fast enough. Loss of wanted traffic, shown on the hop that brought it.
 */
export const r17Socket: Rule = {
  id: 'R17',
  name: 'Socket buffer / listen overflow',
  confirmed(ctx) {
    const moved: { netns: string | null; total: number; lines: string[] }[] = snmpMoved(ctx, SOCKET_DROPS);
    const reasonOnly = ctx.reasons.available(isSocketDrop);
    // Reasons without SNMP counters: the namespace is unknown, the drops are not.
    const spaces =
      moved.length > 0 ? moved : reasonOnly > 0 ? [{ netns: null, total: reasonOnly, lines: [] }] : [];
    for (const s of spaces) {
      const { groups } = ctx.reasons.take(isSocketDrop, s.total);
      const hop = s.netns === null ? null : receivingHop(ctx, s.netns);
      if (hop) ctx.ledger.add(hop.iface.id, s.total);
      const rmem = ctx.window.sysctls[RMEM_MAX] ?? RMEM_MAX_DEFAULT;
      const command = nsCommand(
        'sysctl',
        s.netns ?? '',
        `-w ${RMEM_MAX}=${Math.max(8 * 1024 * 1024, rmem * 4)}`,
      );
      ctx.findings.add({
        rule: 'R17',
        title: `Socket receive queue overflow${s.netns === null ? '' : ` in ${nsLabel(s.netns)}`}: the application reads too slowly`,
        severity: 'loss',
        hop: hop?.iface.id ?? null,
        reason: groups[0]?.reason ?? 'SOCKET_RCVBUFF',
        count: s.total,
        evidence: compact([...s.lines, ...reasonLines(groups), sysctlLine(ctx, RMEM_MAX, RMEM_MAX_DEFAULT)]),
        fix: `The packets arrived and were dropped at the socket. Raise the application's SO_RCVBUF (capped by ${RMEM_MAX}, now ${rmem}: \`${command}\`) or its listen backlog, or make it read faster.`,
        command,
      });
    }
  },
};
