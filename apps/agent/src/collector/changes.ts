import type { NsEntry } from '../discovery/namespaces.ts';
import type { MonitorLine } from '../parse/monitor.ts';

/** What settleAddresses needs of a probe: each link's ifindex and its addresses as `local/prefixlen`. */
export interface ProbedAddresses {
  links: readonly { ifindex: number; addresses: readonly string[] }[];
}

/**
 * Change detection, cheapest first (all measured on the 2-vCPU VM of design.md):
 * - every sample: the interface names in each namespace's /proc/PID/net/dev (already read for
 *   the counters, so free) — catches appear/vanish/rename/move;
 * - `ip monitor ... all-nsid` events (MTU, state, addresses, routes, netconf; ms latency) and
 *   inotify on /run/netns mark namespaces dirty as they happen; the next sample rediscovers them.
 *   Events that cannot change the probe are not heard (parse/monitor.ts); an address event
 *   re-probes only when the latest probe does not already show it (settleAddresses): the IPv6
 *   link-local addresses of fresh interfaces arrive after DAD, often after the probe that saw them;
 * - unnamed namespaces (containers) are found by a /proc/PID/ns/net scan every PROC_SCAN_MS;
 * - rps_cpus is written through sysfs, which sends no netlink event: re-read round-robin
 *   (refreshRps, RPS_REFRESH_MS in collector/discovery.ts);
 * - the safety net for whatever all that missed: every namespace is probed again once per
 *   FULL_REDISCOVERY_MS, a few at a time (one `ip` costs ~6 ms of CPU in the agent and ~10 ms in
 *   the child: 101 namespaces per 15 minutes measured ~2 ms per sample, per hour ~0.5 ms). Since
 *   `ip monitor` also hears netconf, the net is for lost events only. A probe that finds its
 *   namespace unchanged costs no topology rebuild.
 */
export const PROC_SCAN_MS = 2000;
const FULL_REDISCOVERY_MS = 60 * 60_000;
/** IP_RPFILTER drops re-probe the namespaces `ip monitor` cannot hear at most this often. */
const RPFILTER_REPROBE_MS = 30_000;

/**
 * What needs looking at again, and nothing else: the namespaces owed a re-probe (`dirty`) and
 * whether the list of namespaces must be read again (`relist`). Events mark, this keeps the
 * timers of the periodic checks; the collector acts on it (relist, re-probe) once per sample.
 */
export class ChangeTracker {
  readonly dirty = new Set<string>();
  private relist = true;
  private lastProcScan = Number.NEGATIVE_INFINITY;
  /** Safety-net sweep: namespaces owed a re-probe (fractional), and where the sweep is. */
  private sweepCredit = 0;
  private sweepCursor = 0;
  private lastSweep: number;
  /** New unnamed namespaces were left for later (admission limit): relist again at this time. */
  private admitAt: number | null = null;
  private lastRpReprobe = Number.NEGATIVE_INFINITY;
  /**
   * Address events not yet checked against their namespace's probe: namespace → `ifindex address`
   * → whether the address is there (the last event wins: an address added then deleted is absent).
   */
  private readonly addresses = new Map<string, Map<string, boolean>>();

  constructor(now: number) {
    this.lastSweep = now;
  }

  markDirty(name: string): void {
    this.dirty.add(name);
  }

  markAll(names: Iterable<string>): void {
    for (const name of names) this.dirty.add(name);
  }

  forget(name: string): void {
    this.dirty.delete(name);
    this.addresses.delete(name);
  }

  requestRelist(): void {
    this.relist = true;
  }

  /** Whether a relist is owed; clears the request (the caller relists now). */
  takeRelist(): boolean {
    const owed = this.relist;
    this.relist = false;
    return owed;
  }

  /** A full rediscovery: scan processes and relist now. */
  forceFull(): void {
    this.lastProcScan = Number.NEGATIVE_INFINITY;
    this.relist = true;
  }

  /** Whether the /proc scan is due; if so it counts as done now. */
  procScanDue(now: number): boolean {
    if (now - this.lastProcScan < PROC_SCAN_MS) return false;
    this.lastProcScan = now;
    return true;
  }

  /** New unnamed namespaces were held back: relist once the next scan's admission opens. */
  admitLater(now: number | null): void {
    this.admitAt = now === null ? null : now + PROC_SCAN_MS;
  }

  /** The timers' share of one sample: the safety-net sweep and held-back admissions. */
  tick(now: number, names: readonly string[]): void {
    this.sweepCredit += (names.length * (now - this.lastSweep)) / FULL_REDISCOVERY_MS;
    this.lastSweep = now;
    for (; this.sweepCredit >= 1 && names.length > 0; this.sweepCredit--) {
      this.dirty.add(names[this.sweepCursor++ % names.length]!);
    }
    if (this.admitAt !== null && now >= this.admitAt) this.relist = true;
  }

  /**
   * An `ip monitor` event (nsid null: the host's). An nsid we cannot name is an unnamed namespace
   * or one newer than our nsid table: relist, and re-probe every unnamed one and the host.
   * An address event of a namespace we know waits for settleAddresses.
   */
  monitorEvent(
    event: MonitorLine,
    hostNsids: ReadonlyMap<number, string | null>,
    namespaces: ReadonlyMap<string, NsEntry>,
  ): void {
    if (event.kind === 'ignore') return;
    const name = event.nsid === null ? '' : hostNsids.get(event.nsid);
    if (name === null || name === undefined || !namespaces.has(name)) {
      if (event.nsid === null) return; // the host, not watched
      this.relist = true;
      for (const ns of namespaces.values()) if (ns.kind === 'unnamed') this.dirty.add(ns.name);
      if (namespaces.has('')) this.dirty.add('');
      return;
    }
    // Already owed a re-probe: that probe starts after this event, so it will show it.
    if (this.dirty.has(name)) return;
    if (event.kind === 'change') {
      this.dirty.add(name);
      return;
    }
    let facts = this.addresses.get(name);
    if (!facts) {
      facts = new Map();
      this.addresses.set(name, facts);
    }
    facts.set(`${event.ifindex} ${event.address}`, event.present);
  }

  /**
   * When a sample starts: a namespace whose address events say something its latest probe does
   * not (an address it lacks, or one it still shows after a delete) is re-probed; the others'
   * events were already seen by their probe (it ran after the change, before the event arrived).
   */
  settleAddresses(probeOf: (name: string) => ProbedAddresses | undefined): void {
    for (const [name, facts] of this.addresses) {
      const probe = probeOf(name);
      if (!probe || !agrees(probe, facts)) this.dirty.add(name);
    }
    this.addresses.clear();
  }

  /**
   * IP_RPFILTER drops came: rp_filter may have changed where `ip monitor` cannot hear it (a
   * namespace without an nsid in the host: unnamed ones, or a named one `ip netns set` could not
   * give one). Re-probe those, at most every RPFILTER_REPROBE_MS; the others re-probe on their
   * netconf event.
   */
  rpFilterDrops(
    now: number,
    hostNsids: ReadonlyMap<number, string | null>,
    namespaces: Iterable<NsEntry>,
  ): void {
    if (now - this.lastRpReprobe < RPFILTER_REPROBE_MS) return;
    this.lastRpReprobe = now;
    const heard = new Set(hostNsids.values());
    for (const ns of namespaces) {
      if (ns.kind === 'unnamed' || (ns.kind === 'named' && !heard.has(ns.name))) this.dirty.add(ns.name);
    }
  }
}

function agrees(probe: ProbedAddresses, facts: ReadonlyMap<string, boolean>): boolean {
  for (const [key, present] of facts) {
    const space = key.indexOf(' ');
    const ifindex = Number(key.slice(0, space));
    const link = probe.links.find((l) => l.ifindex === ifindex);
    if (!link || link.addresses.includes(key.slice(space + 1)) !== present) return false;
  }
  return true;
}
