import type { Truncated } from '@hopwatch/shared';
import type { NsEntry } from './discovery/namespaces.ts';
import type { NsProbe } from './discovery/probe.ts';

/**
 * Budgets (SPEC SEC2): what one host's agent watches at most, so that an unprivileged user who
 * makes namespaces and interfaces without limit cannot blind the monitoring of everything else
 * or make a topology frame the hub refuses. Pure: the collector applies them.
 */

/** Rank for keeping: the host, then named namespaces (only root makes those), then unnamed. */
const RANK = { host: 0, named: 1, unnamed: 2 } as const;

/**
 * The namespaces to watch, at most `max`: host first, then named, then unnamed; within a kind
 * the ones already watched before new ones (a flood of new namespaces cannot push out a watched
 * container), then the listing's order. Returns those kept and how many were left out.
 */
export function pickNamespaces(
  found: NsEntry[],
  watched: ReadonlySet<string>,
  max: number,
): { kept: NsEntry[]; left: number } {
  if (found.length <= max) return { kept: found, left: 0 };
  const order = found.map((ns, k) => ({ ns, k }));
  order.sort(
    (a, b) =>
      RANK[a.ns.kind] - RANK[b.ns.kind] ||
      Number(!watched.has(a.ns.name)) - Number(!watched.has(b.ns.name)) ||
      a.k - b.k,
  );
  const keep = new Set(order.slice(0, max).map((o) => o.ns));
  return { kept: found.filter((ns) => keep.has(ns)), left: found.length - max };
}

export interface Budgeted {
  /** Probes shown in the topology, in the order given. */
  shown: NsProbe[];
  /** Namespace names left out of the topology by the interface or byte budgets. */
  dropped: string[];
  truncated: Truncated;
}

/**
 * Walk the probes in order (host, named, unnamed: the collector's order) and keep each whose
 * interfaces still fit `maxIfaces` and whose size still fits `maxBytes`; a namespace is kept or
 * left out whole (half a namespace would show veths without their peers). `bytesOf` estimates a
 * probe's share of the topology's JSON. `unwatched` (namespaces over the namespace budget) and
 * `overBudget` (namespaces over the per-namespace interface budget: name → interfaces) are
 * added to the counts.
 */
export function applyBudgets(
  probes: NsProbe[],
  limits: { maxIfaces: number; maxBytes: number },
  bytesOf: (p: NsProbe) => number,
  unwatched: number,
  overBudget: ReadonlyMap<string, { ifaces: number }>,
): Budgeted {
  const truncated: Truncated = { namespaces: unwatched, ifaces: 0, routes: 0, addresses: 0 };
  for (const o of overBudget.values()) {
    truncated.namespaces++;
    truncated.ifaces += o.ifaces;
  }
  const shown: NsProbe[] = [];
  const dropped: string[] = [];
  let ifaces = 0;
  let bytes = 0;
  // Unnamed namespaces are the first to go: the host's and named ones are budgeted first.
  const ranked = [...probes].sort((a, b) => RANK[a.ns.kind] - RANK[b.ns.kind]);
  const keep = new Set<NsProbe>();
  for (const p of ranked) {
    const size = bytesOf(p);
    if (ifaces + p.links.length > limits.maxIfaces || bytes + size > limits.maxBytes) {
      dropped.push(p.ns.name);
      truncated.namespaces++;
      truncated.ifaces += p.links.length + p.left.ifaces;
      continue;
    }
    ifaces += p.links.length;
    bytes += size;
    keep.add(p);
    truncated.ifaces += p.left.ifaces;
    truncated.routes += p.left.routes;
    truncated.addresses += p.left.addresses;
  }
  for (const p of probes) if (keep.has(p)) shown.push(p);
  return { shown, dropped, truncated };
}

export function anyTruncated(t: Truncated): boolean {
  return t.namespaces + t.ifaces + t.routes + t.addresses > 0;
}
