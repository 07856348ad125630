import { type Counter, parseCounter } from '../util/counter.ts';

/**
 * The per-namespace SNMP counters that explain drops (reference/drop-causes.md §1.7 and the R
 * rules), keyed `Group.Field` exactly as /proc/net/snmp and /proc/net/netstat name them. Note
 * that InNoRoutes lives in IpExt, not Ip. Only these are kept: the files hold ~400 counters per
 * namespace and the rest do not explain a lost packet.
 */
export const SNMP_FIELDS = [
  'Ip.InDiscards',
  'Ip.InHdrErrors',
  'Ip.InAddrErrors',
  'Ip.OutDiscards',
  'Ip.OutNoRoutes',
  'Ip.ReasmFails',
  'Ip.FragFails',
  'IpExt.InNoRoutes',
  'IpExt.InTruncatedPkts',
  'IpExt.InCsumErrors',
  'Udp.NoPorts',
  'Udp.InErrors',
  'Udp.RcvbufErrors',
  'Udp.SndbufErrors',
  'Udp.InCsumErrors',
  'Udp.MemErrors',
  'Tcp.InErrs',
  'Tcp.InCsumErrors',
  'TcpExt.ListenOverflows',
  'TcpExt.ListenDrops',
  'TcpExt.TCPBacklogDrop',
  'TcpExt.TCPRcvQDrop',
  'TcpExt.PruneCalled',
  'TcpExt.TCPMinTTLDrop',
  'TcpExt.IPReversePathFilter',
] as const;
export type SnmpField = (typeof SNMP_FIELDS)[number];

const WANTED: ReadonlySet<string> = new Set(SNMP_FIELDS);

/** What to take from one group's value line: (column index, `Group.Field`) pairs. */
type Picks = [number, string][];
/** Header lines differ only between kernels, so their parse is cached (a handful per host). */
const headerCache = new Map<string, Picks>();
const HEADER_CACHE_MAX = 64;

function picksOf(header: string, wanted: ReadonlySet<string> | null): Picks {
  const cacheable = wanted === WANTED;
  const cached = cacheable ? headerCache.get(header) : undefined;
  if (cached) return cached;
  const colon = header.indexOf(':');
  const group = header.slice(0, colon);
  const picks: Picks = [];
  header
    .slice(colon + 1)
    .trim()
    .split(/\s+/)
    .forEach((name, i) => {
      const key = `${group}.${name}`;
      if (!wanted || wanted.has(key)) picks.push([i, key]);
    });
  if (cacheable && headerCache.size < HEADER_CACHE_MAX) headerCache.set(header, picks);
  return picks;
}

/**
 * /proc/net/snmp and /proc/net/netstat share one shape: per group a header line
 * `Group: Name Name ...` followed by a value line `Group: 1 2 ...`. Returns the wanted fields
 * only (all of them when `wanted` is null). Runs for every namespace every sample, so the value
 * line is walked with indexOf up to the last wanted column instead of split into ~130 strings.
 */
export function parseSnmp(text: string, wanted: ReadonlySet<string> | null = WANTED): Map<string, Counter> {
  const out = new Map<string, Counter>();
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const header = lines[i]!;
    const values = lines[i + 1]!;
    const colon = header.indexOf(':');
    if (colon < 0 || values.slice(0, colon + 1) !== header.slice(0, colon + 1)) {
      i -= 1; // out of step: resynchronise on the next line
      continue;
    }
    const picks = picksOf(header, wanted);
    if (picks.length === 0) continue;
    let pos = colon + 1;
    let column = -1;
    for (const [index, key] of picks) {
      let token = '';
      while (column < index && pos <= values.length) {
        while (values.charCodeAt(pos) === 32) pos++;
        let end = values.indexOf(' ', pos);
        if (end < 0) end = values.length;
        token = values.slice(pos, end);
        pos = end;
        column++;
      }
      if (column !== index || token === '') break;
      // Some fields are signed gauges (Tcp.MaxConn = -1); counters we keep are never negative.
      if (!token.startsWith('-')) out.set(key, parseCounter(token));
    }
  }
  return out;
}
