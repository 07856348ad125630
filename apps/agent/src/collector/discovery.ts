/**
 * Discovery: what each watched namespace looks like (one `ip` probe each, re-run when
 * collector/changes.ts marks it), rps_cpus refreshed round-robin, and the topology built from
 * the probes within the budgets. The topology's version moves only when it really changed.
 */
import { createHash } from 'node:crypto';
import type { Topology } from '@hopwatch/shared';
import { ifaceId } from '@hopwatch/shared/ids';
import { anyTruncated, applyBudgets } from '../budget.ts';
import { assignNsids } from '../discovery/nsid.ts';
import { nsLabel, type NsProbe, probeNamespace, readRps, type Runner } from '../discovery/probe.ts';
import type { QdiscReaders } from '../discovery/qdisc.ts';
import { buildTopology, type HostFacts } from '../discovery/topology.ts';
import type { ResolvedOptions } from '../options.ts';
import type { OvsSource } from '../ovs/source.ts';
import type { IdIndex, NsIds } from '../sampling/counter-reader.ts';
import { countNetDevIfaces } from '../sampling/ns-files.ts';
import { RpsFiles, RpsSchedule } from '../sampling/rps-files.ts';
import type { ChangeTracker } from './changes.ts';
import { mapLimit } from '../util/map-limit.ts';
import type { Namespaces } from './namespaces.ts';

/** Parallel `ip` probes: more would only queue on 2 cores and delay the sample. */
const PROBE_CONCURRENCY = 8;
/** A namespace over an interface budget is looked at again this often, not on every event. */
const OVER_BUDGET_RECHECK_MS = 60_000;
/** The topology frame stays well below the hub's MAX_FRAME_BYTES (16 MB). */
const TOPOLOGY_MAX_BYTES = 8 * 1024 * 1024;

export class Discovery {
  /** The latest probe of each watched namespace (absent: not probed yet, unreadable, over budget). */
  readonly probes = new Map<string, NsProbe>();
  /** The host's nsid table: which namespace an `ip monitor` event or a veth's link-netnsid means. */
  hostNsids = new Map<number, string | null>();
  private topo: Topology;
  private topoVersion = 0;
  /**
   * Digest of the current topology's JSON: compared to tell a real change from a rediscovery that
   * found the same. Not the JSON itself: at 1100 interfaces that was ~400 KB kept for the
   * agent's lifetime (a heap snapshot of the bench's agent), for one comparison per rebuild.
   */
  private topoDigest = '';
  /** Per namespace: interface name → its id and the ifindex discovery saw (rebuilt with the topology). */
  private idIndex: IdIndex = new Map();
  private readonly nsidAssigned = new Set<string>();
  /** Which namespaces' rps_cpus each sample re-reads (SPEC RPS1). */
  private readonly rpsSchedule: RpsSchedule;
  /** The refresh's rps_cpus descriptors, kept open (sampling/rps-files.ts). */
  private readonly rpsFiles = new RpsFiles();
  /** Namespaces over the per-namespace interface budget: their size and when to look again. */
  private readonly overBudget = new Map<string, { ifaces: number; recheckAt: number }>();
  /** Per namespace: the size of its probe's JSON, its share of the topology frame. */
  private readonly probeBytes = new Map<string, number>();

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly deps: { run: Runner; live: boolean },
    private readonly facts: HostFacts,
    private readonly namespaces: Namespaces,
    private readonly changes: ChangeTracker,
    private readonly qdiscs: QdiscReaders,
    private readonly ovs: OvsSource | null,
  ) {
    this.topo = buildTopology(facts, []);
    this.rpsSchedule = new RpsSchedule(opts.intervalMs);
  }

  topology(): Topology {
    return this.topo;
  }

  /** Increments whenever the topology changes. */
  get version(): number {
    return this.topoVersion;
  }

  /** The sampler's ids of every shown namespace. */
  get ids(): IdIndex {
    return this.idIndex;
  }

  /** Namespaces over the interface budget whose minute is up are probed again. */
  recheckOverBudget(now: number): void {
    for (const [name, o] of this.overBudget) if (now >= o.recheckAt) this.changes.markDirty(name);
  }

  /** A namespace is gone: its probe, budget state and descriptors go; the topology follows. */
  forget(name: string): void {
    this.rpsFiles.forget(name);
    this.rpsSchedule.forget(name);
    this.probeBytes.delete(name);
    const wasOver = this.overBudget.delete(name);
    if (this.probes.delete(name) || wasOver) this.rebuild();
  }

  close(): void {
    this.rpsFiles.closeAll();
  }

  /**
   * Probe the dirty namespaces (at most `unnamedLimit` unnamed ones; the rest stay dirty for the
   * next sample). A namespace over the per-namespace interface budget is found by counting its
   * /proc/PID/net/dev lines (a capped read) before any `ip` runs, and left out.
   */
  async rediscoverDirty(unnamedLimit = Number.POSITIVE_INFINITY): Promise<void> {
    const now = performance.now();
    const names: string[] = [];
    let unnamed = 0;
    const dirty = this.changes.dirty;
    for (const name of dirty) {
      const ns = this.namespaces.watched.get(name);
      if (!ns) {
        dirty.delete(name);
        continue;
      }
      const over = this.overBudget.get(name);
      if (over && now < over.recheckAt) {
        dirty.delete(name);
        continue;
      }
      if (ns.kind === 'unnamed' && ++unnamed > unnamedLimit) continue;
      dirty.delete(name);
      names.push(name);
    }
    if (names.length === 0) return;
    let changed = false;
    await mapLimit(names, PROBE_CONCURRENCY, async (name) => {
      const ns = this.namespaces.watched.get(name);
      if (!ns) return;
      const counted = countNetDevIfaces(this.opts.procRoot, ns, this.opts.maxNsIfaces);
      const probe =
        counted === 'over'
          ? null
          : await probeNamespace(ns, this.deps.run, this.opts, (msg) => this.opts.log('warn', msg));
      if (this.namespaces.watched.get(name) !== ns) {
        this.opts.log('info', `${nsLabel(ns)} vanished while it was being read; left out`);
        return;
      }
      if (probe === null || ('links' in probe && probe.links.length > this.opts.maxNsIfaces)) {
        const ifaces = probe === null ? this.opts.maxNsIfaces + 1 : probe.links.length;
        if (!this.overBudget.has(name)) {
          this.opts.log(
            'warn',
            `${nsLabel(ns)} has ${probe === null ? 'more than ' : ''}${ifaces - (probe === null ? 1 : 0)} interfaces, ` +
              `over the per-namespace budget of ${this.opts.maxNsIfaces} (--max-ns-ifaces): left out, looked at again every minute`,
          );
        }
        this.overBudget.set(name, { ifaces, recheckAt: performance.now() + OVER_BUDGET_RECHECK_MS });
        this.probes.delete(name);
        this.probeBytes.delete(name);
        changed = true;
        return;
      }
      if ('error' in probe) {
        this.opts.log('warn', `${probe.error}; it is left out until it can be read`);
        changed ||= this.probes.delete(name);
        this.changes.requestRelist();
        return;
      }
      changed ||= this.overBudget.delete(name);
      const before = this.probes.get(name);
      const key = probeKey(probe);
      changed ||= !before || probeKey(before) !== key;
      // Kept rps_cpus descriptors are keyed by path (…/class/net/NAME/…) but follow their device:
      // after a rename or a move they would read another device's file. Reopen them by path.
      if (!before || namesMoved(before, probe)) this.rpsFiles.forget(name);
      this.probes.set(name, probe);
      this.probeBytes.set(name, key.length);
      if (name === '') this.hostNsids = probe.nsids;
    });
    // Most re-probes (the safety net, a burst of address events) find nothing new: the rebuild
    // of a 1000-interface topology and its comparison cost more than the probe, so skip them.
    if (!changed) return;
    if (this.deps.live) {
      const table = await assignNsids(
        this.deps.run,
        this.namespaces.watched.values(),
        this.hostNsids,
        this.nsidAssigned,
      );
      if (table) this.hostNsids = table;
    }
    this.rebuild();
  }

  /** rps_cpus of the namespaces the schedule says are due (sampling/rps-files.ts). */
  refreshRps(now: number, quietFor: (name: string) => number): void {
    if (this.probes.size === 0) return;
    let changed = false;
    const log = (msg: string) => this.opts.log('warn', msg);
    const due = this.rpsSchedule.take([...this.probes.keys()], now, quietFor);
    // Indexed loops and forEach, every sample: see diffCounters (diff.ts).
    for (let i = 0; i < due.length; i++) {
      const probe = this.probes.get(due[i]!)!;
      const files = this.rpsFiles.refresh(due[i]!);
      const rps = readRps(probe.ns, probe.links, this.opts, log, files.read);
      files.done();
      rps.forEach((mask, ifname) => {
        if (probe.rps.get(ifname) !== mask) changed = true;
      });
      probe.rps = rps;
    }
    if (changed) this.rebuild();
  }

  /** Rebuild the topology from the probes within the budgets; bump the version only when something differs. */
  rebuild(): void {
    const ordered = [...this.namespaces.watched.keys()].flatMap((n) => {
      const p = this.probes.get(n);
      return p ? [p] : [];
    });
    const { shown, dropped, truncated } = applyBudgets(
      ordered,
      { maxIfaces: this.opts.maxIfaces, maxBytes: TOPOLOGY_MAX_BYTES },
      (p) => this.probeBytes.get(p.ns.name) ?? 0,
      this.namespaces.unwatched,
      this.overBudget,
    );
    if (dropped.length > 0) {
      this.opts.log(
        'warn',
        `${dropped.length} namespaces left out to stay within ${this.opts.maxIfaces} interfaces (--max-ifaces) ` +
          `and ${TOPOLOGY_MAX_BYTES / 1024 / 1024} MB of topology, unnamed ones first: ${dropped.slice(0, 5).join(', ')}` +
          (dropped.length > 5 ? ', …' : ''),
      );
    }
    const kernel = buildTopology(this.facts, shown);
    const next = this.ovs ? this.ovs.apply(kernel) : kernel;
    if (anyTruncated(truncated)) next.truncated = truncated;
    this.idIndex = new Map(shown.map((p) => [p.ns.name, idsOf(p)]));
    const digest = createHash('sha256').update(JSON.stringify(next)).digest('base64');
    if (digest !== this.topoDigest) {
      this.topo = next;
      this.topoDigest = digest;
      this.topoVersion++;
    }
    if (this.deps.live) this.qdiscs.sync(this.topo, this.namespaces.watched);
  }
}

/** Sampler ids of a shown namespace: its interfaces, and the names it left out (rows skipped). */
function idsOf(p: NsProbe): NsIds {
  const byName: NsIds['byName'] = new Map();
  for (const name of p.ignored) byName.set(name, null);
  for (const l of p.links) byName.set(l.name, { id: ifaceId(p.ns.name, l.name), ifindex: l.ifindex });
  return { byName, tracked: p.links.length };
}

/** What a probe found, as a string: equal strings, same namespace as far as the topology goes. */
function probeKey(p: NsProbe): string {
  return JSON.stringify([p.ns, p.links, p.routes, p.forwarding, [...p.nsids], [...p.rps]]);
}

/**
 * An interface name of the earlier probe that no longer names the same ifindex (renamed, moved
 * out, deleted): a descriptor kept under that name's path may now follow the wrong device.
 */
export function namesMoved(before: NsProbe, now: NsProbe): boolean {
  const ifindexOf = new Map(now.links.map((l) => [l.name, l.ifindex]));
  return before.links.some((l) => ifindexOf.get(l.name) !== l.ifindex);
}
