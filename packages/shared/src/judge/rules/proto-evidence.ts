import { splitIfaceId } from '../../ids.ts';
import type { Iface } from '../../protocol/model.ts';
import { shellWord } from '../../text.ts';
import { covers, networkOf, parsePrefix } from '../cidr.ts';
import { nsLabel } from './netns-hop.ts';
import type { RuleContext } from './types.ts';

/** A namespace's routes in `ip route` words, for evidence (at most `max`). */
export function routeLines(ctx: RuleContext, netns: string, max = 6): string {
  const routes = ctx.topology.routes.filter((r) => r.netns === netns);
  if (routes.length === 0) return `${nsLabel(netns)} has no routes (connected subnets only)`;
  const words = routes.map(
    (r) => `${r.dst}${r.via ? ` via ${r.via}` : ''} dev ${splitIfaceId(r.dev).ifname}`,
  );
  const more = words.length > max ? `; … ${words.length - max} more` : '';
  return `routes in ${nsLabel(netns)}: ${words.slice(0, max).join('; ')}${more}`;
}

/** `10.10.0.1/24` → `10.10.0.0/24` (IPv4), null for anything else. */
export function connectedSubnet(cidr: string): string | null {
  const p = parsePrefix(cidr);
  if (p?.family !== 4 || p.len === 32) return null;
  const n = networkOf(p).addr;
  const dotted = [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  return `${dotted}/${p.len}`;
}

/** The address of a forwarding namespace's interface on the same subnet as `iface`: its gateway. */
export function gatewayFor(ctx: RuleContext, iface: Iface): string | null {
  const forwarding = new Set(ctx.topology.namespaces.filter((n) => n.forwarding).map((n) => n.name));
  for (const cidr of iface.addresses) {
    const mine = parsePrefix(cidr);
    if (mine?.family !== 4) continue;
    const net = networkOf(mine);
    for (const other of ctx.topology.ifaces) {
      if (other.netns === iface.netns || !forwarding.has(other.netns)) continue;
      for (const a of other.addresses) {
        const p = parsePrefix(a);
        if (p && covers(net, { ...p, len: 32 })) return a.split('/')[0] ?? null;
      }
    }
  }
  return null;
}

/**
 * A command to run inside a namespace, for an operator to paste into a root shell. `cmd` must
 * already be shell-safe: quote every name in it with shellWord (a tenant names its own
 * interfaces, nft tables and chains).
 */
export function inNs(netns: string, cmd: string): string {
  return netns === '' ? cmd : `ip netns exec ${shellWord(netns)} ${cmd}`;
}
