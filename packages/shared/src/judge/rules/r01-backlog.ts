import { countersOf } from '../counters.ts';
import type { HopFacts } from '../facts.ts';
import { cpusOfMask, fmtCpus, fmtDelta } from '../format.ts';
import { atLocation, type ReasonGroup, withReason } from '../reasons.ts';
import { compact, peerTxDroppedLine, reasonLines, rxDroppedLine, sysctlLine } from './evidence.ts';
import { type Rule, type RuleContext, sysctl } from './types.ts';

export const NETDEV_MAX_BACKLOG = 'net.core.netdev_max_backlog';
export const NETDEV_MAX_BACKLOG_DEFAULT = 1000;
/** drop-causes.md R01: "raise by 2-10×"; the seed went 1000 → 3000 and recommends far more. */
export const NETDEV_MAX_BACKLOG_RAISE_FACTOR = 10;
export const NETDEV_MAX_BACKLOG_SUGGESTED_MIN = 10_000;

/** Devices whose receive goes through netif_rx → enqueue_to_backlog (or RPS): bridges, dummies and tunnels (gro_cells, R02) do not. */
const BACKLOG_KINDS = new Set(['veth', 'tun', 'tap', 'ovs', 'loopback', 'physical', 'macvlan', 'other']);

export const isBacklogDrop = withReason('CPU_BACKLOG');
export const atBacklog = atLocation('enqueue_to_backlog');

export function suggestedBacklog(current: number | null): number {
  return Math.max(
    NETDEV_MAX_BACKLOG_SUGGESTED_MIN,
    (current ?? NETDEV_MAX_BACKLOG_DEFAULT) * NETDEV_MAX_BACKLOG_RAISE_FACTOR,
  );
}

export function backlogFix(ctx: RuleContext): { fix: string; command: string } {
  const current = sysctl(ctx, NETDEV_MAX_BACKLOG);
  const command = `sysctl -w ${NETDEV_MAX_BACKLOG}=${suggestedBacklog(current)}`;
  const now = current === null ? `(kernel default ${NETDEV_MAX_BACKLOG_DEFAULT})` : `is ${current}`;
  return {
    fix: `${NETDEV_MAX_BACKLOG} ${now}: raise it, e.g. \`${command}\` (a global knob: set it in the host namespace)`,
    command,
  };
}

/** CPUs whose softnet column 2 moved, else the CPUs that logged CPU_BACKLOG drops. */
function dropCpus(ctx: RuleContext, groups: readonly ReasonGroup[]): number[] {
  const softnet = ctx.window.softnet.filter((s) => s.dropped > 0).map((s) => s.cpu);
  return softnet.length > 0 ? softnet : groups.flatMap((g) => [...g.byCpu.keys()]);
}

/** Interval by interval, how much of the softnet drops this hop's receive drops matched. */
function movedTogether(ctx: RuleContext, f: HopFacts): number {
  let score = 0;
  for (const s of ctx.samples) {
    const softnet = s.softnet.reduce((n, x) => n + x.dropped - x.flowLimit, 0);
    const c = countersOf(s, f.iface.id);
    const peerTx = f.peer ? countersOf(s, f.peer.id).txDropped : 0;
    score += Math.min(softnet, Math.max(c.rxDropped, peerTx));
  }
  return score;
}

/**
 * R01 CPU backlog overflow (the seed). Softnet column 2 (per target CPU, no device) and
 * CPU_BACKLOG at enqueue_to_backlog (no device) are tied to the hop whose rx_dropped moved with
 * them: the one whose drops matched interval by interval, then the RPS-enabled one steering to a
 * dropping CPU, then the rest by size. A veth pair counts the drop on both ends: one drop.
 */
export const r01Backlog: Rule = {
  id: 'R01',
  name: 'CPU backlog overflow',
  confirmed(ctx) {
    const softnet = ctx.window.softnet.reduce((n, s) => n + Math.max(0, s.dropped - s.flowLimit), 0);
    const reasonCount = ctx.reasons.available(isBacklogDrop);
    const total = Math.max(softnet, reasonCount);
    if (total <= 0) return;
    const { groups } = ctx.reasons.take(isBacklogDrop);
    const cpus = dropCpus(ctx, groups);
    const steersToDropping = (f: HopFacts) => cpusOfMask(f.iface.rpsCpus).some((c) => cpus.includes(c));
    const score = (f: HopFacts) => [
      movedTogether(ctx, f),
      Number(steersToDropping(f)),
      Number(f.iface.rpsCpus !== null),
      Number(f.pathIndex !== null),
      ctx.ledger.available(f.iface.id, 'rx'),
    ];
    const candidates = [...ctx.facts.values()]
      .filter((f) => BACKLOG_KINDS.has(f.iface.kind) && ctx.ledger.available(f.iface.id, 'rx') > 0)
      .map((f) => ({ f, s: score(f) }))
      .sort((a, b) => compareScores(b.s, a.s) || (a.f.iface.id < b.f.iface.id ? -1 : 1))
      .map((x) => x.f);

    const current = sysctl(ctx, NETDEV_MAX_BACKLOG);
    const { fix, command } = backlogFix(ctx);
    const dropping = ctx.window.softnet.filter((s) => s.dropped > 0);
    /** The CPUs that matter for a hop: where its RPS steers, when that is where drops happened. */
    const cpusOf = (f: HopFacts | null) => {
      const steered = f ? cpusOfMask(f.iface.rpsCpus).filter((c) => cpus.includes(c)) : [];
      return steered.length > 0 ? steered : cpus;
    };
    const finding = (f: HopFacts | null, count: number, extra: (string | null)[]) => {
      const mine = cpusOf(f);
      const others = dropping.filter((s) => !mine.includes(s.cpu));
      return {
        rule: 'R01',
        title: `CPU backlog overflow${mine.length > 0 ? ` on ${fmtCpus(mine)}` : ''} (netdev_max_backlog = ${current ?? `${NETDEV_MAX_BACKLOG_DEFAULT}?`})`,
        severity: 'loss' as const,
        hop: f?.iface.id ?? null,
        reason: 'CPU_BACKLOG',
        count,
        evidence: compact([
          ...extra,
          ...dropping
            .filter((s) => mine.includes(s.cpu))
            .map((s) => `softnet dropped ${fmtDelta(s.dropped)} on CPU ${s.cpu}`),
          ...others.map(
            (s) => `softnet dropped ${fmtDelta(s.dropped)} on CPU ${s.cpu} too (other receivers)`,
          ),
          ...reasonLines(groups),
          sysctlLine(ctx, NETDEV_MAX_BACKLOG, NETDEV_MAX_BACKLOG_DEFAULT),
          ...dropping
            .filter((s) => (s.backlogLen ?? 0) > 0)
            .map((s) => `backlog length ${s.backlogLen} on CPU ${s.cpu} at the last sample`),
          f ? rpsLine(f) : null,
        ]),
        fix: f ? `${fix}${rpsFix(f)}` : fix,
        command,
      };
    };

    let left = total;
    for (const f of candidates) {
      if (left <= 0) break;
      const n = ctx.ledger.claim(f.iface.id, 'rx', left);
      left -= n;
      ctx.findings.add(finding(f, n, [rxDroppedLine(f), peerTxDroppedLine(f)]));
    }
    if (left < total) return;
    // No interface counted these drops (the device is in a namespace we cannot see, or its
    // counters were not read): an RPS hop steering to the dropping CPU is the best guess.
    const rps = [...ctx.facts.values()].find((f) => steersToDropping(f) && f.through > 0);
    if (rps) ctx.ledger.add(rps.iface.id, total);
    ctx.findings.add(
      finding(rps ?? null, total, [rps ? null : 'no interface counted these drops in its rx_dropped']),
    );
  },
};

function compareScores(a: number[], b: number[]): number {
  for (let k = 0; k < a.length; k++) if ((a[k] ?? 0) !== (b[k] ?? 0)) return (a[k] ?? 0) - (b[k] ?? 0);
  return 0;
}

function rpsLine(f: HopFacts): string | null {
  if (f.iface.rpsCpus === null) return null;
  const cpus = cpusOfMask(f.iface.rpsCpus);
  return `rps_cpus = ${f.iface.rpsCpus} on ${f.iface.name}${cpus.length > 0 ? ` (steers its receive work to ${fmtCpus(cpus)})` : ''}`;
}

function rpsFix(f: HopFacts): string {
  if (f.iface.rpsCpus === null) return '';
  const cpus = cpusOfMask(f.iface.rpsCpus);
  return `; or spread the receive work: rps_cpus of ${f.iface.name} sends all of it to ${fmtCpus(cpus)}`;
}
