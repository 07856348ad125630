import { atLocation } from '../reasons.ts';
import { compact, ranked, reasonLines, rxDroppedLine, sysctlLine } from './evidence.ts';
import { backlogFix, NETDEV_MAX_BACKLOG, NETDEV_MAX_BACKLOG_DEFAULT } from './r01-backlog.ts';
import type { HopFacts } from '../facts.ts';
import type { Rule, RuleContext } from './types.ts';

/** Tunnel devices that receive through gro_cells (their own per-CPU queue, not the CPU backlog). */
const TUNNEL_DRIVERS = new Set([
  'vxlan',
  'geneve',
  'gre',
  'gretap',
  'ip6gre',
  'ip6gretap',
  'ipip',
  'sit',
  'ip6tnl',
]);
const isTunnel = (f: HopFacts) => f.iface.kind === 'vxlan' || TUNNEL_DRIVERS.has(f.iface.driverKind ?? '');
const atGroCells = atLocation('gro_cells_receive');

function report(ctx: RuleContext, f: HopFacts, count: number, evidence: string[]) {
  const { fix, command } = backlogFix(ctx);
  ctx.findings.add({
    rule: 'R02',
    title: `Tunnel receive queue overflow on ${f.iface.id} (gro_cells)`,
    severity: 'loss',
    hop: f.iface.id,
    reason: 'NOT_SPECIFIED',
    count,
    evidence: compact([
      rxDroppedLine(f),
      ...evidence,
      sysctlLine(ctx, NETDEV_MAX_BACKLOG, NETDEV_MAX_BACKLOG_DEFAULT),
    ]),
    fix: `The tunnel's per-CPU receive queue is bounded by the same knob as the CPU backlog. ${fix}; more CPUs/RSS queues on the underlay NIC help too.`,
    command,
  });
}

/** R02 gro_cells overflow: a tunnel device's rx_dropped with softnet column 2 unchanged. */
export const r02GroCells: Rule = {
  id: 'R02',
  name: 'gro_cells queue overflow on tunnel devices',
  confirmed(ctx) {
    if (ctx.reasons.available(atGroCells) === 0) return;
    for (const f of ranked(ctx, (h) => ctx.ledger.available(h.iface.id, 'rx'), isTunnel)) {
      const want = Math.min(ctx.ledger.available(f.iface.id, 'rx'), ctx.reasons.available(atGroCells));
      if (want <= 0) continue;
      const { groups } = ctx.reasons.take(atGroCells, want);
      report(ctx, f, ctx.ledger.claim(f.iface.id, 'rx', want), reasonLines(groups));
    }
  },
  inferred(ctx) {
    if (ctx.window.softnet.some((s) => s.dropped > 0)) return;
    for (const f of [...ctx.facts.values()].filter(isTunnel)) {
      const n = ctx.ledger.claim(f.iface.id, 'rx', Number.POSITIVE_INFINITY);
      if (n > 0)
        report(ctx, f, n, ['softnet dropped +0 on every CPU: not the CPU backlog, the tunnel’s own queue']);
    }
  },
};
