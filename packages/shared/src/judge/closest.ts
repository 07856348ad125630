import type { Topology } from '../protocol/model.ts';

/** How many names an "unknown interface" answer suggests. */
export const SUGGESTIONS_COUNT = 5;

/** Levenshtein distance, two rows: interface names are short and hosts have thousands, not millions. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, sub));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/**
 * The `n` interface ids closest to `name`, comparing it with each full id and with each bare
 * interface name (so `qg-a` finds `hwlab-qrouter-a1/qg-a1`), nearest first, ties by id.
 * @example closestIfaces(topology, 'hwlab-qrouter-a1/qg-a', 3)[0] === 'hwlab-qrouter-a1/qg-a1'
 */
export function closestIfaces(topology: Topology, name: string, n: number = SUGGESTIONS_COUNT): string[] {
  const query = name.toLowerCase();
  return topology.ifaces
    .map((i) => ({
      id: i.id,
      d: Math.min(editDistance(query, i.id.toLowerCase()), editDistance(query, i.name.toLowerCase())),
    }))
    .sort((a, b) => a.d - b.d || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, Math.max(0, n))
    .map((x) => x.id);
}

export type ResolveResult = { ok: true; id: string } | { ok: false; error: string; suggestions: string[] };

/**
 * An interface id as the user typed it: an exact id, or a bare name that only one namespace has
 * (`qg-a1` for `hwlab-qrouter-a1/qg-a1`). Anything else is an error naming the closest ids.
 */
export function resolveIface(topology: Topology, name: string): ResolveResult {
  if (topology.ifaces.some((i) => i.id === name)) return { ok: true, id: name };
  const bare = topology.ifaces.filter((i) => i.name === name);
  if (bare.length === 1 && bare[0]) return { ok: true, id: bare[0].id };
  if (bare.length > 1) {
    const ids = bare.map((i) => i.id).sort();
    return {
      ok: false,
      error: `"${name}" is ambiguous: ${ids.length} namespaces have it; use NETNS/${name}`,
      suggestions: ids.slice(0, SUGGESTIONS_COUNT),
    };
  }
  const suggestions = closestIfaces(topology, name);
  const hint = suggestions.length > 0 ? `; closest: ${suggestions.join(', ')}` : '';
  return {
    ok: false,
    error: `unknown interface "${name}" on ${topology.host}${hint}`,
    suggestions,
  };
}
