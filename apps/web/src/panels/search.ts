import type { Iface } from '@hopwatch/shared';

/** Results shown under a type-ahead: enough to pick from, few enough to scan. */
export const MAX_RESULTS = 12;

/**
 * Interfaces matching a query, best first: exact id, exact name, id prefix, name prefix, then
 * substring anywhere in the id (so `qg-a1`, `qrouter-a1/qg` and `hwlab-up/wan0` all work).
 */
export function searchIfaces(ifaces: readonly Iface[], query: string, limit = MAX_RESULTS): Iface[] {
  const q = query.trim().toLowerCase();
  if (q === '') return ifaces.slice(0, limit);
  const scored: { i: Iface; score: number }[] = [];
  for (const i of ifaces) {
    const id = i.id.toLowerCase();
    const name = i.name.toLowerCase();
    let score: number;
    if (id === q) score = 0;
    else if (name === q) score = 1;
    else if (id.startsWith(q)) score = 2;
    else if (name.startsWith(q)) score = 3;
    else if (id.includes(q)) score = 4;
    else continue;
    scored.push({ i, score });
  }
  scored.sort((a, b) => a.score - b.score || a.i.id.length - b.i.id.length || (a.i.id < b.i.id ? -1 : 1));
  return scored.slice(0, limit).map((s) => s.i);
}
