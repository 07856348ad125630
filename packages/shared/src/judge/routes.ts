import type { Topology } from '../protocol/model.ts';
import { covers, isRoutable, networkOf, type Prefix, parsePrefix, parseRouteDst } from './cidr.ts';

interface TableEntry {
  prefix: Prefix;
  dev: string;
}

/** One namespace's forwarding table, as the kernel's longest-prefix match would read it. */
export interface RouteTable {
  lookup(dest: Prefix): string | null;
}

/**
 * Routes per namespace, plus the connected route of every interface address (the kernel adds
 * `proto kernel scope link` routes itself; an agent that reports only the main table's explicit
 * routes, or none, still gives the right answer for directly attached subnets).
 */
export function routeTables(topology: Topology): Map<string, RouteTable> {
  const byNs = new Map<string, TableEntry[]>();
  const known = new Set(topology.ifaces.map((i) => i.id));
  const add = (netns: string, prefix: Prefix | null, dev: string) => {
    if (prefix === null || !isRoutable(prefix) || !known.has(dev)) return;
    const list = byNs.get(netns) ?? [];
    list.push({ prefix, dev });
    byNs.set(netns, list);
  };
  for (const r of topology.routes) {
    const v6 = r.via?.includes(':') ?? false;
    add(r.netns, parseRouteDst(r.dst, v6 ? 6 : 4), r.dev);
  }
  for (const i of topology.ifaces) {
    for (const a of i.addresses) {
      const p = parsePrefix(a);
      if (p) add(i.netns, networkOf(p), i.id);
    }
  }
  const tables = new Map<string, RouteTable>();
  for (const [netns, entries] of byNs) {
    // Longest prefix first; among equals the agent's order (the kernel's order of preference).
    const sorted = entries
      .map((e, k) => ({ ...e, k }))
      .sort((a, b) => b.prefix.len - a.prefix.len || a.k - b.k);
    tables.set(netns, {
      lookup: (dest) => sorted.find((e) => covers(e.prefix, dest))?.dev ?? null,
    });
  }
  return tables;
}
