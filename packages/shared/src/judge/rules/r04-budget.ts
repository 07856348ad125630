import { fmtCpus, fmtDelta } from '../format.ts';
import { compact, sysctlLine } from './evidence.ts';
import { type Rule, sysctl } from './types.ts';

export const NETDEV_BUDGET = 'net.core.netdev_budget';
export const NETDEV_BUDGET_DEFAULT = 300;
export const NETDEV_BUDGET_USECS = 'net.core.netdev_budget_usecs';
export const NETDEV_BUDGET_USECS_DEFAULT = 2000;
/** A squeeze now and then is normal on a busy host; one in the window is worth a line, not an alarm. */
export const TIME_SQUEEZE_MIN = 1;

/**
 * R04 softirq budget exhaustion: softnet column 3. Not a drop but the pressure that precedes
 * R01, so it is information on its own and a warning next to backlog drops.
 */
export const r04Budget: Rule = {
  id: 'R04',
  name: 'Softirq budget exhaustion',
  confirmed(ctx) {
    const rows = ctx.window.softnet.filter((s) => s.timeSqueeze > 0);
    const total = rows.reduce((n, s) => n + s.timeSqueeze, 0);
    if (total < TIME_SQUEEZE_MIN) return;
    const withDrops = ctx.findings.list().some((f) => f.rule === 'R01');
    const budget = sysctl(ctx, NETDEV_BUDGET) ?? NETDEV_BUDGET_DEFAULT;
    const command = `sysctl -w ${NETDEV_BUDGET}=${budget * 2}`;
    ctx.findings.add({
      rule: 'R04',
      title: `Softirq budget ran out on ${fmtCpus(rows.map((s) => s.cpu))} (time_squeeze)`,
      severity: withDrops ? 'warn' : 'info',
      hop: null,
      reason: null,
      count: total,
      evidence: compact([
        ...rows.map((s) => `softnet time_squeeze ${fmtDelta(s.timeSqueeze)} on CPU ${s.cpu}`),
        sysctlLine(ctx, NETDEV_BUDGET, NETDEV_BUDGET_DEFAULT),
        sysctlLine(ctx, NETDEV_BUDGET_USECS, NETDEV_BUDGET_USECS_DEFAULT),
        withDrops ? 'the same window has CPU backlog drops (R01): the CPU cannot keep up' : null,
      ]),
      fix:
        `The receive softirq stopped with work left (not a drop by itself). ${NETDEV_BUDGET} is ${budget}: ` +
        `raise it, e.g. \`${command}\`, or give the receive work more CPUs (RPS/RSS, threaded NAPI).`,
      command,
    });
  },
};
