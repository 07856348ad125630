import type { FirewallRule, NsProto } from '../protocol/model.ts';

const ruleKey = (r: FirewallRule) => `${r.family}|${r.table}|${r.chain}|${r.handle}`;

function mergeRules(
  prev: readonly FirewallRule[] | undefined,
  next: readonly FirewallRule[],
): FirewallRule[] {
  const byKey = new Map((prev ?? []).map((r) => [ruleKey(r), r]));
  for (const r of next) {
    const before = byKey.get(ruleKey(r));
    const packets =
      r.packets === null && (before?.packets ?? null) === null
        ? null
        : (r.packets ?? 0) + (before?.packets ?? 0);
    // The newest reading names the rule; counters add up over the window.
    byKey.set(ruleKey(r), { ...r, packets });
  }
  return [...byKey.values()];
}

/**
 * One namespace's protocol state over a window (WIN4): conntrack statistics and rule counters
 * add up, the conntrack count, rp_filter values and neighbour state are the newest reading (a
 * field the newest sample lacks keeps its last value).
 */
export function mergeNsProto(prev: NsProto | undefined, next: NsProto): NsProto {
  const out: NsProto = { ...prev, ...next };
  if (next.conntrack && prev?.conntrack) {
    out.conntrack = {
      count: next.conntrack.count,
      drop: prev.conntrack.drop + next.conntrack.drop,
      earlyDrop: prev.conntrack.earlyDrop + next.conntrack.earlyDrop,
      insertFailed: prev.conntrack.insertFailed + next.conntrack.insertFailed,
      invalid: prev.conntrack.invalid + next.conntrack.invalid,
    };
  }
  if (next.firewall) out.firewall = mergeRules(prev?.firewall, next.firewall);
  if (next.mib && prev?.mib) {
    const mib = { ...prev.mib };
    for (const [k, v] of Object.entries(next.mib)) mib[k] = (mib[k] ?? 0) + v;
    out.mib = mib;
  }
  return out;
}
