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

/**
 * /proc/net/snmp and /proc/net/netstat share one shape: per group a header line
 * `Group: Name Name ...` followed by a value line `Group: 1 2 ...`. Returns the wanted fields
 * only (all of them when `wanted` is null).
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
    const group = header.slice(0, colon);
    const names = header
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    const nums = values
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    for (let k = 0; k < names.length; k++) {
      const key = `${group}.${names[k]}`;
      const v = nums[k];
      if (v === undefined || (wanted && !wanted.has(key))) continue;
      // Some fields are signed gauges (Tcp.MaxConn = -1); counters we keep are never negative.
      if (v.startsWith('-')) continue;
      out.set(key, parseCounter(v));
    }
  }
  return out;
}
