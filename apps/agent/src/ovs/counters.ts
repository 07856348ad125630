/**
 * Counters of OVS ports that are no kernel device (patch and tunnel ports), from OVSDB's
 * `statistics` column, as rows in /proc/net/dev's column order so they travel like any other
 * interface's. ovs-vswitchd writes statistics to the database every 5 s (other_config
 * stats-update-interval, 5000 ms at least): these hops' deltas come in 5-second steps.
 */
import { IFACE_COUNTERS, type IfaceCounterName } from '@hopwatch/shared/protocol/constants';

const FROM_OVSDB: Partial<Record<IfaceCounterName, string>> = {
  rxBytes: 'rx_bytes',
  rxPackets: 'rx_packets',
  rxErrors: 'rx_errors',
  rxDropped: 'rx_dropped',
  rxFrame: 'rx_frame_err',
  rxMulticast: 'rx_multicast_packets',
  txBytes: 'tx_bytes',
  txPackets: 'tx_packets',
  txErrors: 'tx_errors',
  txDropped: 'tx_dropped',
  txColls: 'collisions',
};

export function statsRow(stats: ReadonlyMap<string, number>): number[] {
  return IFACE_COUNTERS.map((c) => {
    const key = FROM_OVSDB[c];
    return key === undefined ? 0 : (stats.get(key) ?? 0);
  });
}

/** Column by column; a column that went backwards (vswitchd restarted) counts from zero. Null when nothing moved. */
export function rowDelta(prev: readonly number[] | undefined, next: readonly number[]): number[] | null {
  if (prev === undefined) return null;
  const d = next.map((v, k) => (v >= (prev[k] ?? 0) ? v - (prev[k] ?? 0) : v));
  return d.some((x) => x > 0) ? d : null;
}
