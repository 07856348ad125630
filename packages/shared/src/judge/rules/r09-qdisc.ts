import type { HopFacts } from '../facts.ts';
import { fmtCount, fmtDelta, fmtPercent, nsCommand } from '../format.ts';
import { shellWord } from '../../text.ts';
import { type ReasonFilter, withReason } from '../reasons.ts';
import { compact, reasonLines } from './evidence.ts';
import type { Rule } from './types.ts';

export const isQdiscDrop: ReasonFilter = (g) =>
  withReason('QDISC_DROP', 'QDISC_OVERLIMIT', 'QDISC_CONGESTED', 'TC_EGRESS')(g) ||
  g.reason.startsWith('FQ_');

/** Qdiscs whose queue length is the interface's txqueuelen. */
const TXQUEUELEN_QDISCS = new Set(['pfifo_fast', 'pfifo', 'bfifo']);

function fixFor(f: HopFacts, kind: string): { fix: string; command: string } {
  const i = f.iface;
  if (kind === 'tbf') {
    const command = nsCommand('tc', i.netns, `qdisc del dev ${shellWord(i.name)} root`);
    return {
      fix: `tbf on ${i.name} shapes to its rate and drops what does not fit its limit: raise its rate/limit (\`${nsCommand('tc', i.netns, `qdisc change dev ${shellWord(i.name)} root tbf …`)}\`) or remove it: \`${command}\`.`,
      command,
    };
  }
  if (TXQUEUELEN_QDISCS.has(kind)) {
    const want = Math.max(10_000, (i.txqueuelen ?? 1000) * 10);
    const command = nsCommand('ip', i.netns, `link set dev ${shellWord(i.name)} txqueuelen ${want}`);
    return {
      fix: `${kind} queues up to txqueuelen (${i.txqueuelen ?? '?'} on ${i.name}): raise it, e.g. \`${command}\`.`,
      command,
    };
  }
  const command = nsCommand('tc', i.netns, `-s qdisc show dev ${shellWord(i.name)}`);
  return {
    fix: `${kind} on ${i.name} drops by its limits or rates: raise the limit or the rate (see \`${command}\`).`,
    command,
  };
}

/**
 * R09 qdisc drops. A qdisc drop moves no interface counter at all (a tbf overflow shows only in
 * `tc -s qdisc` and as QDISC_DROP): the hop that hides its losses from the usual counters.
 */
export const r09Qdisc: Rule = {
  id: 'R09',
  name: 'Qdisc drops',
  confirmed(ctx) {
    const hops = [...ctx.facts.values()].filter((f) => ctx.ledger.available(f.iface.id, 'qdisc') > 0);
    const reasonTotal = ctx.reasons.available(isQdiscDrop);
    hops.forEach((f, k) => {
      const q = f.qdisc!;
      const n = ctx.ledger.claim(f.iface.id, 'qdisc', Number.POSITIVE_INFINITY);
      // Counters and traced reasons are read at slightly different moments: the last qdisc takes
      // the surplus, so a few QDISC_DROPs are not left over as noise.
      const { groups } = ctx.reasons.take(isQdiscDrop, k === hops.length - 1 ? Number.POSITIVE_INFINITY : n);
      const sent = q.packets + q.drops;
      const { fix, command } = fixFor(f, q.kind);
      ctx.findings.add({
        rule: 'R09',
        title: `qdisc ${q.kind} on ${f.iface.id} drops packets`,
        severity: 'loss',
        hop: f.iface.id,
        reason: groups[0]?.reason ?? null,
        count: n,
        evidence: compact([
          `qdisc ${q.kind} on ${f.iface.id}: dropped ${fmtDelta(q.drops)} (${fmtPercent(q.drops, sent)} of ${fmtCount(sent)} packets), overlimits ${fmtDelta(q.overlimits)}`,
          f.c.txDropped === 0
            ? `tx_dropped of ${f.iface.name} +0: no interface counter shows these drops`
            : null,
          ...reasonLines(groups),
          q.kind === 'pfifo_fast' || q.kind === 'pfifo'
            ? `txqueuelen = ${f.iface.txqueuelen ?? '?'} on ${f.iface.name}`
            : null,
        ]),
        fix,
        command,
      });
    });
    if (hops.length > 0 || reasonTotal === 0) return;
    // The kernel saw qdisc drops but no qdisc counter moved (its stats were not read): say so.
    const { count, groups } = ctx.reasons.take(isQdiscDrop);
    ctx.findings.add({
      rule: 'R09',
      title: 'qdisc drops on an interface whose qdisc counters were not read',
      severity: 'loss',
      hop: null,
      reason: groups[0]?.reason ?? null,
      count,
      evidence: reasonLines(groups),
      fix: 'Check `tc -s qdisc` in each namespace for a qdisc whose dropped count rises.',
      command: null,
    });
  },
};
