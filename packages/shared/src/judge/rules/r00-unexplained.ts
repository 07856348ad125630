import type { HopFacts } from '../facts.ts';
import { fmtDelta, nsCommand } from '../format.ts';
import { shellWord } from '../../text.ts';
import { compact, peerTxDroppedLine, reasonLines, rxDroppedLine, txDroppedLine } from './evidence.ts';
import type { Rule, RuleContext } from './types.ts';

function tracingLine(ctx: RuleContext): string | null {
  const t = ctx.window.tracing;
  if (t.state !== 'on')
    return `kernel drop reasons unavailable (tracing ${t.state}${t.detail ? `: ${t.detail}` : ''})`;
  return null;
}

function countersLines(f: HopFacts, left: Record<string, number>): (string | null)[] {
  return [
    (left.rx ?? 0) > 0 ? rxDroppedLine(f) : null,
    (left.rx ?? 0) > 0 ? peerTxDroppedLine(f) : null,
    (left.tx ?? 0) > 0 ? txDroppedLine(f) : null,
    (left.errors ?? 0) > 0
      ? `rx_errors ${fmtDelta(f.c.rxErrors)}, tx_errors ${fmtDelta(f.c.txErrors)} on ${f.iface.id}`
      : null,
    (left.gap ?? 0) > 0 && f.peer
      ? `${f.peer.id} sent ${fmtDelta(f.peerC?.txPackets ?? 0)} packets, ${f.iface.id} received ${fmtDelta(f.c.rxPackets)}: ${fmtDelta(left.gap ?? 0)} never arrived`
      : null,
  ];
}

/**
 * R00 loss without a known cause: what no rule claimed. A red hop always comes with words; when
 * the cause is unknown the words are its counters and what would tell more.
 */
export const r00Unexplained: Rule = {
  id: 'R00',
  name: 'Loss without a known cause',
  inferred(ctx) {
    const leftover = ctx.reasons.unclaimed();
    const reasons =
      leftover.length > 0
        ? [`kernel drop reasons not tied to a hop: ${reasonLines(leftover).join('; ')}`]
        : [];
    let any = false;
    for (const f of ctx.facts.values()) {
      // The sum first, a copy only for a hop with something left (most hops: nothing).
      const seen = ctx.ledger.peek(f.iface.id);
      const n = seen === undefined ? 0 : seen.rx + seen.tx + seen.errors + seen.gap;
      if (n <= 0) continue;
      const left = ctx.ledger.unclaimed(f.iface.id);
      ctx.ledger.claim(f.iface.id, 'rx', left.rx);
      ctx.ledger.claim(f.iface.id, 'tx', left.tx);
      ctx.ledger.claim(f.iface.id, 'errors', left.errors);
      ctx.ledger.claim(f.iface.id, 'gap', left.gap);
      any = true;
      const command = nsCommand('ip', f.iface.netns, `-s -s link show dev ${shellWord(f.iface.name)}`);
      ctx.findings.add({
        rule: 'R00',
        title: `${f.iface.id} lost packets for a reason hopwatch cannot tell`,
        severity: 'loss',
        hop: f.iface.id,
        reason: null,
        count: n,
        evidence: compact([...countersLines(f, left), tracingLine(ctx), ...reasons]),
        fix: `Look closer at the device: \`${command}\`${f.iface.kind === 'physical' ? ` and \`ethtool -S ${f.iface.name}\` (ring/FIFO drops never reach the kernel's drop reasons)` : ''}.`,
        command,
      });
    }
    if (any || leftover.length === 0) return;
    ctx.reasons.take(() => true);
    ctx.findings.add({
      rule: 'R00',
      title: 'Packets dropped in protocol code, not tied to a hop',
      severity: 'info',
      hop: null,
      reason: leftover[0]?.reason ?? null,
      count: leftover.reduce((s, g) => s + g.count, 0),
      evidence: reasonLines(leftover),
      fix: 'These drops happened in protocol or socket code (firewall, routing, TCP state) rather than on a hop; see the reasons.',
      command: null,
    });
  },
};
