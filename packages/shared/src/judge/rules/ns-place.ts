import { ifaceId } from '../../ids.ts';
import type { NsProto } from '../../protocol/model.ts';
import type { HopFacts } from '../facts.ts';
import { fmtDelta } from '../format.ts';
import { nsLabel, receivingHop } from './netns-hop.ts';
import type { RuleContext, Severity } from './types.ts';

/**
 * Where a protocol drop happens relative to the devices: on the way in (prerouting, input,
 * forward, routing, rp_filter, conntrack) or on the way out (neighbour resolution, output hooks).
 */
export type Side = 'ingress' | 'egress';

/**
 * Which direction of the asked path a namespace's drop hits: `forward` (the asked traffic),
 * `reverse` (its answers: the source namespace receiving, the destination namespace sending), or
 * `off-path` (no path asked, or the namespace is not on it).
 */
export type Direction = 'forward' | 'reverse' | 'off-path';

export interface NsPlace {
  netns: string;
  /** The hop the drops land on, null when the namespace has no interface to show them on. */
  hop: string | null;
  direction: Direction;
  /** How the hop was chosen, one evidence line. */
  how: string;
}

/**
 * A drop inside `netns` put on a hop (issue 10): on the path, the interface by which the path
 * enters the namespace for ingress drops, or leaves it for egress drops (or `dev`, when the
 * kernel's state names the device, like an unresolved neighbour). A namespace the path only
 * starts in receives nothing of the asked traffic, and one it ends in sends nothing of it: drops
 * there are the reverse direction. Off the path, the namespace's busiest receiver (or sender).
 */
export function placeInNamespace(
  ctx: RuleContext,
  netns: string,
  side: Side,
  dev: string | null = null,
): NsPlace {
  const path = ctx.path ?? [];
  const inNs = path.filter((id) => ctx.facts.get(id)?.iface.netns === netns);
  const label = nsLabel(netns);
  if (dev !== null) {
    const id = ifaceId(netns, dev);
    const k = path.indexOf(id);
    if (k >= 0) {
      // Leaving by a path hop: forward when the path goes on from it, else the answers going back.
      const forward = side === 'ingress' ? k > 0 : k < path.length - 1;
      return {
        netns,
        hop: id,
        direction: forward ? 'forward' : 'reverse',
        how: forward
          ? `on ${id}: the path ${side === 'egress' ? 'leaves' : 'enters'} ${label} by it`
          : `on ${id}: the reverse direction (answers ${side === 'egress' ? 'leaving' : 'entering'} ${label} by it)`,
      };
    }
    if (ctx.facts.has(id))
      return { netns, hop: id, direction: 'off-path', how: `on ${id}, the device the kernel names` };
  }
  if (inNs.length > 0) {
    const first = inNs[0]!;
    const last = inNs.at(-1)!;
    const isSource = path[0] === first;
    const isTarget = path.at(-1) === last;
    if (side === 'ingress') {
      if (!isSource)
        return {
          netns,
          hop: first,
          direction: 'forward',
          how: `on ${first}: the path enters ${label} by it`,
        };
      return {
        netns,
        hop: first,
        direction: 'reverse',
        how: `on ${first}: the path starts in ${label}, so only answers come in`,
      };
    }
    if (!isTarget)
      return { netns, hop: last, direction: 'forward', how: `on ${last}: the path leaves ${label} by it` };
    return {
      netns,
      hop: last,
      direction: 'reverse',
      how: `on ${last}: the path ends in ${label}, so only answers go out`,
    };
  }
  const hop = side === 'ingress' ? receivingHop(ctx, netns) : sendingHop(ctx, netns);
  return {
    netns,
    hop: hop?.iface.id ?? null,
    direction: 'off-path',
    how: hop
      ? `on ${hop.iface.id}, the busiest ${side === 'ingress' ? 'receiver' : 'sender'} of ${label}${ctx.path ? ' (not on the asked path)' : ''}`
      : `${label} has no interface with traffic`,
  };
}

function sendingHop(ctx: RuleContext, netns: string): HopFacts | null {
  const inNs = [...ctx.facts.values()].filter((f) => f.iface.netns === netns && f.iface.kind !== 'loopback');
  return (
    inNs.filter((f) => f.c.txPackets > 0).sort((a, b) => b.c.txPackets - a.c.txPackets)[0] ??
    receivingHop(ctx, netns)
  );
}

/**
 * Severity of protocol loss by direction: the asked traffic lost is `loss`; its answers lost
 * (reverse) are `warn` and leave the forward path's colours alone; without a path, `loss`.
 */
export function severityFor(place: NsPlace): Severity {
  return place.direction === 'reverse' ? 'warn' : 'loss';
}

/**
 * Puts `n` protocol drops on the place's hop (no interface counted them) and, for the reverse
 * direction, a note on the hop that says why it is not red.
 */
export function chargePlace(ctx: RuleContext, place: NsPlace, n: number, rule: string): void {
  if (place.hop === null || n <= 0) return;
  ctx.ledger.add(place.hop, n, place.direction === 'reverse' ? 'benign' : 'loss');
  ctx.notes.add(
    place.hop,
    place.direction === 'reverse'
      ? `${rule}: ${fmtDelta(n)} packets lost in the reverse direction (answers); the asked direction is not affected`
      : `${rule}: ${fmtDelta(n)} packets dropped inside ${nsLabel(place.netns)}, attributed ${place.how}`,
  );
}

/** A namespace's protocol state in the window, `{}` when the agent sent none. */
export function protoOf(ctx: RuleContext, netns: string): NsProto {
  return ctx.window.nsproto?.[netns] ?? {};
}

/** An SNMP counter's delta in a namespace: the regular read or the triggered one, the larger. */
export function mibDelta(ctx: RuleContext, netns: string, key: string): number {
  return Math.max(ctx.window.snmp[netns]?.[key] ?? 0, protoOf(ctx, netns).mib?.[key] ?? 0);
}

/** Namespaces in which any of `keys` moved, with the total and one line per counter. */
export function mibMoved(
  ctx: RuleContext,
  keys: readonly string[],
): { netns: string; total: number; lines: string[] }[] {
  const spaces = new Set([...Object.keys(ctx.window.snmp), ...Object.keys(ctx.window.nsproto ?? {})]);
  return [...spaces]
    .map((netns) => {
      const moved = keys.map((k) => [k, mibDelta(ctx, netns, k)] as const).filter(([, v]) => v > 0);
      return {
        netns,
        total: moved.reduce((s, [, v]) => s + v, 0),
        lines: moved.map(([k, v]) => `${k} ${fmtDelta(v)} in ${nsLabel(netns)}`),
      };
    })
    .filter((x) => x.total > 0)
    .sort((a, b) => b.total - a.total);
}

/**
 * Splits `total` drops over namespaces in proportion to their own counts (largest remainder),
 * so reasons without a namespace are shared out by what each namespace counted.
 */
export function shareOut<T extends { total: number }>(
  spaces: readonly T[],
  total: number,
): (T & { share: number })[] {
  const sum = spaces.reduce((s, x) => s + x.total, 0);
  if (sum <= 0 || total <= 0) return spaces.map((x) => ({ ...x, share: 0 }));
  const raw = spaces.map((x) => (x.total / sum) * total);
  const shares = raw.map(Math.floor);
  let left = total - shares.reduce((s, x) => s + x, 0);
  const order = raw.map((r, i) => [r - Math.floor(r), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left <= 0) break;
    shares[i]! += 1;
    left--;
  }
  return spaces.map((x, i) => ({ ...x, share: shares[i]! }));
}
