/**
 * One line of `ip monitor label link address route netconf all-nsid`, sorted by whether it can
 * change what the discovery probe (discovery/probe.ts) reports. The probe reports links (all of
 * their state), each link's addresses as `local/prefixlen`, the main table's IPv4 routes, IPv4
 * netconf (forwarding, rp_filter) and the nsid table. A fresh interface fires a dozen events
 * (IPv6 link-local address after DAD, its local-table route, ff00::/8 and fe80::/64 routes,
 * IPv6 netconf): re-probing on each cost one `ip` per namespace per burst (issue 13).
 *
 * - `change`: may change the probe: re-probe the namespace (links, IPv4 netconf, IPv4 routes of
 *   the main table, anything not understood);
 * - `address`: an address added or deleted: re-probe only when the probe does not already say so
 *   (collector/changes.ts checks it against the latest probe when the sample starts);
 * - `ignore`: cannot change the probe: IPv6 netconf, routes of other tables (`local`, policy
 *   routing tables) and IPv6 routes (the probe's `route show` in batch mode is IPv4 main only),
 *   multicast forwarding entries.
 *
 * Names in these lines are resolved in the monitor's own namespace (the host), so they are wrong
 * for the others: only ifindexes, addresses and keywords are taken from them.
 */
export type MonitorLine =
  | { nsid: number | null; kind: 'change' }
  | { nsid: number | null; kind: 'ignore' }
  | { nsid: number | null; kind: 'address'; ifindex: number; address: string; present: boolean };

/** `[nsid 3]` (a namespace with an nsid in the host) or `[nsid current]` (the host itself). */
const NSID_PREFIX = /^\[nsid (\d+|current)\]/;
/** `label` puts the object type after the nsid: `[LINK]`, `[ADDR]`, `[ROUTE]`, `[NETCONF]`. */
const LABEL = /^\[([A-Z]+)\]/;
/** `3: ifb1    inet6 fe80::ec54:2eff:fe54:4421/64 scope link` (a `peer` address does not match: re-probed). */
const ADDRESS = /^(\d+): \S+\s+inet6? ([0-9A-Fa-f:.]+\/\d{1,3})(?: |$)/;
/** rtnetlink route types iproute2 prints before the destination. */
const ROUTE_TYPES = new Set([
  'unicast',
  'local',
  'broadcast',
  'multicast',
  'anycast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
  'xresolve',
]);

/** null for continuation lines (indented) and blank ones. */
export function classifyMonitorLine(line: string): MonitorLine | null {
  if (line === '' || line.startsWith(' ') || line.startsWith('\t')) return null;
  let rest = line;
  let nsid: number | null = null;
  const m = NSID_PREFIX.exec(rest);
  if (m) {
    nsid = m[1] === 'current' ? null : Number(m[1]);
    rest = rest.slice(m[0].length);
  }
  const label = LABEL.exec(rest);
  if (!label) return { nsid, kind: 'change' };
  rest = rest.slice(label[0].length);
  const deleted = rest.startsWith('Deleted ');
  if (deleted) rest = rest.slice('Deleted '.length);
  switch (label[1]) {
    case 'ADDR': {
      const a = ADDRESS.exec(rest);
      if (!a) return { nsid, kind: 'change' };
      return { nsid, kind: 'address', ifindex: Number(a[1]), address: a[2]!, present: !deleted };
    }
    case 'ROUTE':
      return routeMatters(rest) ? { nsid, kind: 'change' } : { nsid, kind: 'ignore' };
    case 'NETCONF':
      // iproute2 prints the family as `inet6` (older releases: `ipv6`); the probe reads inet only.
      return /^(?:inet6|ipv6) /.test(rest) ? { nsid, kind: 'ignore' } : { nsid, kind: 'change' };
    case 'MROUTE':
      return { nsid, kind: 'ignore' };
    default:
      return { nsid, kind: 'change' };
  }
}

/** Whether a route line may be an IPv4 route of the main table (the only ones the probe lists). */
function routeMatters(route: string): boolean {
  const table = / table (\S+)/.exec(route);
  if (table && table[1] !== 'main') return false;
  const words = route.split(' ');
  const dst = ROUTE_TYPES.has(words[0] ?? '') ? words[1] : words[0];
  if (dst === undefined) return true;
  if (dst.includes(':')) return false; // an IPv6 destination
  // `default`: IPv6 routes carry a preference (RTA_PREF), IPv4 ones never; a `via fe80::1` gateway
  // is IPv6 too (an IPv4 route through an IPv6 gateway prints `via inet6 ADDR`).
  if (dst === 'default') {
    const via = / via (\S+)/.exec(route);
    if (/ pref (?:low|medium|high)\b/.test(route) || (via && via[1]!.includes(':'))) return false;
  }
  return true;
}
