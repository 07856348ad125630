import { shellWord } from '../../text.ts';
import { fmtDelta } from '../format.ts';
import { compact, rxDroppedLine } from './evidence.ts';
import type { Rule } from './types.ts';

/**
 * R05 NIC RX ring / hardware overrun: a physical NIC's rx FIFO errors (and, with kernel drop
 * reasons on and none left over, its rx drops: a frame the ring had no room for never becomes an
 * skb, so kfree_skb never sees it). Where the driver does not count its ring drops, nothing does.
 */
export const r05NicRing: Rule = {
  id: 'R05',
  name: 'NIC RX ring / hardware overrun',
  inferred(ctx) {
    const tracingOn = ctx.window.tracing.state === 'on' && ctx.reasons.unclaimed().length === 0;
    for (const f of ctx.facts.values()) {
      if (f.iface.kind !== 'physical') continue;
      const fifo = f.c.rxFifo;
      const errors = fifo > 0 ? ctx.ledger.claim(f.iface.id, 'errors', fifo) : 0;
      const rx =
        fifo > 0 && tracingOn
          ? ctx.ledger.claim(f.iface.id, 'rx', ctx.ledger.available(f.iface.id, 'rx'))
          : 0;
      const n = Math.max(errors, fifo) + rx;
      if (fifo <= 0) continue;
      if (errors < fifo) ctx.ledger.add(f.iface.id, fifo - errors);
      const dev = shellWord(f.iface.name);
      const command = `ethtool -G ${dev} rx 4096`;
      ctx.findings.add({
        rule: 'R05',
        title: `NIC receive ring overrun on ${f.iface.id}`,
        severity: 'loss',
        hop: f.iface.id,
        reason: null,
        count: n,
        evidence: compact([
          `rx_fifo_errors ${fmtDelta(fifo)} on ${f.iface.id}`,
          rx > 0 ? rxDroppedLine(f) : null,
          rx > 0 ? 'no kernel drop reason for these: the NIC dropped them before they were packets' : null,
        ]),
        fix: `The NIC's receive ring filled before the CPU emptied it: a larger ring (\`${command}\`, see \`ethtool -g ${dev}\` for the maximum), more queues (\`ethtool -L\`), IRQ affinity, and the softirq budget (R04). \`ethtool -S ${dev}\` names the driver's own counters (rx_missed_errors, rx_no_buffer_count...).`,
        command,
      });
    }
  },
};
