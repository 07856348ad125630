import type { HopFacts } from '../facts.ts';
import { nsCommand } from '../format.ts';
import { shellWord } from '../../text.ts';
import { type ReasonFilter, withReason } from '../reasons.ts';
import { compact, ranked, reasonLines, txDroppedLine } from './evidence.ts';
import type { Rule, RuleContext } from './types.ts';

const isTap = (f: HopFacts) =>
  f.iface.kind === 'tap' || f.iface.kind === 'tun' || f.iface.driverKind === 'tun';
const isFullRing: ReasonFilter = withReason('FULL_RING');

function report(ctx: RuleContext, f: HopFacts, count: number, evidence: string[]) {
  const i = f.iface;
  const want = Math.max(10_000, (i.txqueuelen ?? 1000) * 10);
  const command = nsCommand('ip', i.netns, `link set dev ${shellWord(i.name)} txqueuelen ${want}`);
  ctx.findings.add({
    rule: 'R08',
    title: `TX ring of ${i.id} is full: the VM behind it is slow to consume`,
    severity: 'loss',
    hop: i.id,
    reason: 'FULL_RING',
    count,
    evidence: compact([
      txDroppedLine(f),
      ...evidence,
      `txqueuelen = ${i.txqueuelen ?? '?'} on ${i.name} (the ring size)`,
    ]),
    fix: `Not a network fault: the guest does not drain its queue. Raise the ring, e.g. \`${command}\`; give the vhost thread and the guest's RX more CPU (multiqueue virtio-net).`,
    command,
  });
}

/** R08 tap TX ring full: the host tap's tx_dropped, FULL_RING at tun_net_xmit. */
export const r08TapRing: Rule = {
  id: 'R08',
  name: 'tap TX ring full',
  confirmed(ctx) {
    for (const f of ranked(ctx, (h) => ctx.ledger.available(h.iface.id, 'tx'), isTap)) {
      const n = ctx.ledger.claim(f.iface.id, 'tx', Number.POSITIVE_INFINITY);
      if (n <= 0) continue;
      const { groups } = ctx.reasons.take(isFullRing, n);
      report(ctx, f, n, reasonLines(groups));
    }
  },
};
