import { IFACE_COUNTER_INDEX, IFACE_COUNTERS, type Sample } from '@hopwatch/shared';
import { ByPosition } from './byPosition.ts';
import { type IfaceRows, rowsOfSample } from './rows.ts';

/**
 * Running totals for /metrics, accumulated from the agents' deltas (the hub never sees the
 * kernel's absolute counters on the hot path). They start at zero when the hub starts, which
 * Prometheus reads as a counter reset, exactly as for a restarted node_exporter.
 */
export const IFACE_TOTALS = [
  ['receive_bytes', 'rxBytes', 'Bytes received'],
  ['receive_packets', 'rxPackets', 'Packets received'],
  ['receive_errors', 'rxErrors', 'Receive errors'],
  ['receive_dropped', 'rxDropped', 'Packets dropped on receive (rx_dropped, incl. missed)'],
  ['transmit_bytes', 'txBytes', 'Bytes transmitted'],
  ['transmit_packets', 'txPackets', 'Packets transmitted'],
  ['transmit_errors', 'txErrors', 'Transmit errors'],
  ['transmit_dropped', 'txDropped', 'Packets dropped on transmit (tx_dropped)'],
] as const;
const COLUMNS = IFACE_TOTALS.map(([, name]) => IFACE_COUNTER_INDEX[name]);
const WIDTH = IFACE_COUNTERS.length;

export interface QdiscTotal {
  kind: string;
  drops: number;
}

export class HostTotals {
  /** Interface id → totals in IFACE_TOTALS order. */
  readonly ifaces = new Map<string, Float64Array>();
  /** CPU → [processed, dropped, times_squeezed]. */
  readonly softnet = new Map<number, [number, number, number]>();
  /** `reason\0location` → count. */
  readonly dropReasons = new Map<string, number>();
  /** `ifaceId\0kind` → drops. */
  readonly qdiscDrops = new Map<string, number>();
  /** Each row's totals, found by its position in the previous sample first (state/byPosition.ts). */
  private readonly accs = new ByPosition<Float64Array>((id) => {
    let acc = this.ifaces.get(id);
    if (!acc) {
      acc = new Float64Array(COLUMNS.length);
      this.ifaces.set(id, acc);
    }
    return acc;
  });

  add(sample: Sample, rows: IfaceRows = rowsOfSample(sample)): void {
    const accs = this.accs.of(rows.ids);
    const v = rows.values;
    for (let r = 0; r < accs.length; r++) {
      const acc = accs[r]!;
      const from = r * WIDTH;
      for (let k = 0; k < COLUMNS.length; k++) acc[k]! += v[from + COLUMNS[k]!]!;
    }
    for (const s of sample.softnet) {
      const acc = this.softnet.get(s.cpu) ?? [0, 0, 0];
      acc[0] += s.processed;
      acc[1] += s.dropped;
      acc[2] += s.timeSqueeze;
      this.softnet.set(s.cpu, acc);
    }
    for (const d of sample.drops) {
      const key = `${d.reason}\0${d.location}`;
      this.dropReasons.set(key, (this.dropReasons.get(key) ?? 0) + d.count);
    }
    for (const id in sample.qdiscs) {
      const q = sample.qdiscs[id]!;
      const key = `${id}\0${q.kind}`;
      this.qdiscDrops.set(key, (this.qdiscDrops.get(key) ?? 0) + q.drops);
    }
  }
}
