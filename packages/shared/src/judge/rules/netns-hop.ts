import type { HopFacts } from '../facts.ts';
import { fmtDelta } from '../format.ts';
import type { RuleContext } from './types.ts';

/**
 * The interface that brought traffic into a namespace, for drops the kernel counts per namespace
 * (SNMP) rather than per device: the last path hop in it, else its busiest receiver.
 */
export function receivingHop(ctx: RuleContext, netns: string): HopFacts | null {
  const inNs = [...ctx.facts.values()].filter((f) => f.iface.netns === netns && f.iface.kind !== 'loopback');
  const onPath = inNs
    .filter((f) => f.pathIndex !== null)
    .sort((a, b) => (b.pathIndex ?? 0) - (a.pathIndex ?? 0));
  if (onPath[0]) return onPath[0];
  const busiest = inNs.filter((f) => f.c.rxPackets > 0).sort((a, b) => b.c.rxPackets - a.c.rxPackets);
  return busiest[0] ?? null;
}

export function nsLabel(netns: string): string {
  return netns === '' ? 'the host namespace' : netns;
}

/** Per namespace, the sum of the SNMP counters named in `keys` that moved. */
export function snmpMoved(
  ctx: RuleContext,
  keys: readonly string[],
): { netns: string; total: number; lines: string[] }[] {
  return Object.entries(ctx.window.snmp)
    .map(([netns, c]) => {
      const moved = keys.filter((k) => (c[k] ?? 0) > 0);
      return {
        netns,
        total: moved.reduce((s, k) => s + (c[k] ?? 0), 0),
        lines: moved.map((k) => `${k} ${fmtDelta(c[k] ?? 0)} in ${nsLabel(netns)}`),
      };
    })
    .filter((x) => x.total > 0);
}
