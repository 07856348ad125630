import type { DropReasonCount } from '../protocol/model.ts';
import { fmtCount } from './format.ts';

/** Drops the kernel reported with one reason at one function, over all CPUs. */
export interface ReasonGroup {
  reason: string;
  location: string;
  count: number;
  /** count per CPU that logged the event (the CPU that freed the skb, not necessarily the target). */
  byCpu: Map<number, number>;
}

/** `__netif_receive_skb_core.constprop.0` is `__netif_receive_skb_core` for matching purposes. */
export function normalizeLocation(location: string): string {
  return location
    .replace(/\+0x[0-9a-f]+(\/0x[0-9a-f]+)?$/i, '')
    .replace(/\.(constprop|isra|part|cold|llvm)(\.\d+)*$/g, '');
}

/**
 * TCP's own decisions about segments that did arrive (duplicates, data for a closing socket,
 * out-of-window, resets): the transport working as designed, not a packet lost on a hop.
 * TCP_LISTEN_OVERFLOW and memory-pressure prunes are not here: they are losses (R17).
 */
const TRANSPORT_DECISIONS = new Set([
  'TCP_OLD_DATA',
  'TCP_ABORT_ON_DATA',
  'TCP_CLOSE',
  'TCP_RESET',
  'TCP_FLAGS',
  'TCP_INVALID_SEQUENCE',
  'TCP_INVALID_ACK_SEQUENCE',
  'TCP_OLD_SEQUENCE',
  'TCP_OLD_ACK',
  'TCP_TOO_OLD_ACK',
  'TCP_ACK_UNSENT_DATA',
  'TCP_OFOMERGE',
  'TCP_RFC7323_PAWS',
  'TCP_RFC7323_PAWS_ACK',
  'TCP_RFC7323_TSECR',
  'TCP_RFC7323_TW_PAWS',
  'TCP_INVALID_END_SEQUENCE',
  'TCP_INVALID_SYN',
  'TCP_OVERWINDOW',
  'TCP_FASTOPEN',
  'TCP_ZEROWINDOW',
]);

/**
 * Frees that are not packets lost on a network path: AF_UNIX and netlink messages (local IPC),
 * data left unread in a closed socket (SOCKET_CLOSE) or purged with it (QUEUE_PURGE), and TCP's
 * protocol decisions. Seen on an
 * idle host and next to a flood in the throwaway-namespace runs; they say nothing about a hop.
 */
export function isNotPathDrop(g: Pick<ReasonGroup, 'reason' | 'location'>): boolean {
  return (
    g.reason === 'SOCKET_CLOSE' ||
    g.reason === 'QUEUE_PURGE' ||
    g.reason.startsWith('UNIX_') ||
    TRANSPORT_DECISIONS.has(g.reason) ||
    (g.reason === 'NOT_SPECIFIED' && g.location.startsWith('tcp_')) ||
    g.location.startsWith('unix_') ||
    g.location.startsWith('netlink_') ||
    g.location.startsWith('__netlink_')
  );
}

export function reasonLine(g: Pick<ReasonGroup, 'reason' | 'location' | 'count'>): string {
  return `kfree_skb ${g.reason} ×${fmtCount(g.count)} at ${g.location}`;
}

export type ReasonFilter = (g: ReasonGroup) => boolean;

export const atLocation =
  (...locations: string[]): ReasonFilter =>
  (g) =>
    locations.includes(g.location);
export const withReason =
  (...reasons: string[]): ReasonFilter =>
  (g) =>
    reasons.includes(g.reason);

/**
 * The window's drop reasons, grouped by (reason, location), handed out at most once: a drop the
 * kernel reported explains one finding, never two.
 */
export class ReasonPool {
  readonly groups: ReasonGroup[];
  private readonly left = new Map<ReasonGroup, number>();

  constructor(drops: readonly DropReasonCount[]) {
    const byKey = new Map<string, ReasonGroup>();
    for (const d of drops) {
      if (d.count <= 0) continue;
      const location = normalizeLocation(d.location);
      const k = `${d.reason}|${location}`;
      const g = byKey.get(k) ?? { reason: d.reason, location, count: 0, byCpu: new Map() };
      g.count += d.count;
      g.byCpu.set(d.cpu, (g.byCpu.get(d.cpu) ?? 0) + d.count);
      byKey.set(k, g);
    }
    this.groups = [...byKey.values()].filter((g) => !isNotPathDrop(g)).sort((a, b) => b.count - a.count);
    for (const g of this.groups) this.left.set(g, g.count);
  }

  /** How many drops matching `filter` are not yet handed out. */
  available(filter: ReasonFilter): number {
    return this.groups.filter(filter).reduce((s, g) => s + (this.left.get(g) ?? 0), 0);
  }

  /** Hand out up to `max` drops matching `filter`; returns what was taken, per group. */
  take(filter: ReasonFilter, max = Number.POSITIVE_INFINITY): { count: number; groups: ReasonGroup[] } {
    let want = max;
    const taken: ReasonGroup[] = [];
    for (const g of this.groups) {
      if (want <= 0) break;
      const left = this.left.get(g) ?? 0;
      if (left <= 0 || !filter(g)) continue;
      const n = Math.min(left, want);
      this.left.set(g, left - n);
      want -= n;
      taken.push({ ...g, count: n });
    }
    return { count: taken.reduce((s, g) => s + g.count, 0), groups: taken };
  }

  /** Groups with drops nobody took, with what is left of them. */
  unclaimed(): ReasonGroup[] {
    return this.groups
      .filter((g) => (this.left.get(g) ?? 0) > 0)
      .map((g) => ({ ...g, count: this.left.get(g)! }));
  }
}
