import { fmtCpus, fmtDelta } from '../format.ts';
import { atBacklog, isBacklogDrop } from './r01-backlog.ts';
import { compact, ranked, reasonLines, rxDroppedLine, sysctlLine } from './evidence.ts';
import { type Rule, sysctl } from './types.ts';

export const FLOW_LIMIT_TABLE_LEN = 'net.core.flow_limit_table_len';
export const FLOW_LIMIT_TABLE_LEN_DEFAULT = 4096;
export const FLOW_LIMIT_CPU_BITMAP = 'net.core.flow_limit_cpu_bitmap';

/**
 * R03 RPS flow limit: softnet column 11 (a subset of column 2) counts packets of one heavy flow
 * shed on purpose to protect the others. Runs before R01 so those drops are not called backlog
 * overflow; the kernel logs them as CPU_BACKLOG too.
 */
export const r03FlowLimit: Rule = {
  id: 'R03',
  name: 'RPS flow limit',
  confirmed(ctx) {
    const rows = ctx.window.softnet.filter((s) => s.flowLimit > 0);
    const total = rows.reduce((n, s) => n + s.flowLimit, 0);
    if (total <= 0) return;
    const { groups } = ctx.reasons.take((g) => isBacklogDrop(g) && atBacklog(g), total);
    const hops = ranked(
      ctx,
      (f) => Number(f.iface.rpsCpus !== null) * 1e12 + ctx.ledger.available(f.iface.id, 'rx'),
      (f) => ctx.ledger.available(f.iface.id, 'rx') > 0,
    );
    const hop = hops[0] ?? null;
    const claimed = hop ? ctx.ledger.claim(hop.iface.id, 'rx', total) : 0;
    if (hop && claimed < total) ctx.ledger.add(hop.iface.id, total - claimed);
    const bitmap = sysctl(ctx, FLOW_LIMIT_CPU_BITMAP);
    ctx.findings.add({
      rule: 'R03',
      title: `RPS flow limit shed a heavy flow on ${fmtCpus(rows.map((s) => s.cpu))}`,
      severity: 'loss',
      hop: hop?.iface.id ?? null,
      reason: 'CPU_BACKLOG',
      count: total,
      evidence: compact([
        ...rows.map((s) => `softnet flow_limit_count ${fmtDelta(s.flowLimit)} on CPU ${s.cpu}`),
        hop ? rxDroppedLine(hop) : null,
        ...reasonLines(groups),
        sysctlLine(ctx, FLOW_LIMIT_TABLE_LEN, FLOW_LIMIT_TABLE_LEN_DEFAULT),
        bitmap === null ? null : `${FLOW_LIMIT_CPU_BITMAP} = ${bitmap}`,
      ]),
      fix:
        'The flow limit drops packets of the largest flow on a busy CPU by design, to keep the other flows alive. ' +
        `If that flow matters, raise ${FLOW_LIMIT_TABLE_LEN} or clear the CPU from ${FLOW_LIMIT_CPU_BITMAP}, ` +
        'and spread the flow over more CPUs (RSS/RPS).',
      command: `sysctl -w ${FLOW_LIMIT_CPU_BITMAP}=0`,
    });
  },
};
