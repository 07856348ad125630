import type { HopFacts } from '../facts.ts';
import { fmtCount, fmtDelta, fmtPercent } from '../format.ts';
import type { ReasonGroup } from '../reasons.ts';
import { reasonLine } from '../reasons.ts';
import { type RuleContext, sysctl } from './types.ts';

/** "rx_dropped +37 on X (0.04 % of 91 200 packets)": the receiving counter and its share. */
export function rxDroppedLine(f: HopFacts): string | null {
  if (f.c.rxDropped <= 0) return null;
  const offered = f.c.rxPackets + f.c.rxDropped;
  return `rx_dropped ${fmtDelta(f.c.rxDropped)} on ${f.iface.id} (${fmtPercent(f.c.rxDropped, offered)} of ${fmtCount(offered)} packets)`;
}

/** The veth peer's tx_dropped, shown as what it is: the same drops seen from the sending end. */
export function peerTxDroppedLine(f: HopFacts): string | null {
  if (!f.peer || !f.peerC || f.peerC.txDropped <= 0) return null;
  return `tx_dropped ${fmtDelta(f.peerC.txDropped)} on ${f.peer.id} (its veth peer: the same drops, counted once)`;
}

export function txDroppedLine(f: HopFacts): string | null {
  if (f.c.txDropped <= 0) return null;
  const offered = f.c.txPackets + f.c.txDropped;
  return `tx_dropped ${fmtDelta(f.c.txDropped)} on ${f.iface.id} (${fmtPercent(f.c.txDropped, offered)} of ${fmtCount(offered)} packets)`;
}

export function sysctlLine(ctx: RuleContext, name: string, fallback: number): string {
  const v = sysctl(ctx, name);
  return v === null ? `${name} not reported (kernel default ${fmtCount(fallback)})` : `${name} = ${v}`;
}

export function reasonLines(groups: readonly ReasonGroup[]): string[] {
  return groups.map(reasonLine);
}

export function compact(lines: readonly (string | null)[]): string[] {
  return lines.filter((l): l is string => l !== null);
}

/** Hops in the order a rule should consider them: on the path first, then by what `size` gives, then id. */
export function ranked(
  ctx: RuleContext,
  size: (f: HopFacts) => number,
  keep: (f: HopFacts) => boolean,
): HopFacts[] {
  return [...ctx.facts.values()]
    .filter(keep)
    .sort(
      (a, b) =>
        Number(b.pathIndex !== null) - Number(a.pathIndex !== null) ||
        size(b) - size(a) ||
        (a.iface.id < b.iface.id ? -1 : 1),
    );
}
