import type { HopFacts } from '../facts.ts';
import type { RuleContext } from './types.ts';

/**
 * The interface a device-specific drop most likely happened on, among those `keep` accepts: on
 * the path first, then the one whose counters moved most. Null when none fits.
 */
export function likelyDevice(ctx: RuleContext, keep: (f: HopFacts) => boolean): HopFacts | null {
  const all = [...ctx.facts.values()].filter(keep);
  const size = (f: HopFacts) => f.c.rxPackets + f.c.txPackets + f.c.rxDropped + f.c.txDropped;
  return (
    all.sort(
      (a, b) =>
        Number(b.pathIndex !== null) - Number(a.pathIndex !== null) ||
        size(b) - size(a) ||
        (a.iface.id < b.iface.id ? -1 : 1),
    )[0] ?? null
  );
}
