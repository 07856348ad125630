import { cpus, release } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Keyframe, Sample, Topology } from '@hopwatch/shared';
import { ifaceId } from '@hopwatch/shared/ids';
import { type CounterTotals, diffCounters, keyframeOf } from './diff.ts';
import { Holders } from './discovery/holders.ts';
import { LinkMonitor, watchNetnsDir } from './discovery/monitor.ts';
import { listNamespaces, listNetnsNames, type NsEntry, ProcessNsScanner } from './discovery/namespaces.ts';
import { nsLabel, type NsProbe, probeNamespace, readRps, type Runner } from './discovery/probe.ts';
import { assignNsids } from './discovery/nsid.ts';
import { OvsSource } from './ovs/source.ts';
import { NsProtoReader } from './proto/reader.ts';
import { QdiscReaders } from './discovery/qdisc.ts';
import { buildTopology, type HostFacts } from './discovery/topology.ts';
import { type AgentOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { countNetDevIfaces, netDevMaxBytes, readSysctls } from './sampling/ns-files.ts';
import { CounterReader, type IdIndex, type NsIds } from './sampling/counter-reader.ts';
import { RpsFiles } from './sampling/rps-files.ts';
import { DropTracer } from './tracing/tracer.ts';
import { registerCleanup } from './util/cleanup.ts';
import { execText } from './util/exec.ts';
import { netnsMatcher } from './util/glob.ts';
import { setRefusalLog } from './util/procfs.ts';
import { anyTruncated, applyBudgets, pickNamespaces } from './budget.ts';
import { ChangeTracker } from './collector/changes.ts';

/**
 * rps_cpus is written through sysfs, which sends no netlink event: re-read every RPS_REFRESH_MS,
 * a slice of the namespaces each sample (sysfs costs ~15 µs a file: all 1000 interfaces at once
 * was a 40 ms sample every half minute). The other change detection: collector/changes.ts.
 */
const RPS_REFRESH_MS = 30_000;
/** Parallel `ip` probes: more would only queue on 2 cores and delay the sample. */
const PROBE_CONCURRENCY = 8;
/**
 * Unnamed namespaces re-probed per sample at most: a tenant renaming interfaces in a loop in a
 * thousand namespaces would otherwise cost a thousand `ip` runs a second. The rest wait for the
 * next sample (their rows are skipped until then).
 */
const MAX_UNNAMED_PROBES_PER_SAMPLE = 16;
/**
 * After the first discovery, new unnamed namespaces are taken in at most this many per
 * PROC_SCAN_MS (each costs a holder, ~22 ms of CPU, and an `ip`): a tenant making and destroying
 * namespaces in a loop cannot keep the agent starting holders all day. The rest wait their turn.
 */
const MAX_NEW_UNNAMED_PER_SCAN = 16;
/** A namespace over an interface budget is looked at again this often, not on every event. */
const OVER_BUDGET_RECHECK_MS = 60_000;
/** The topology frame stays well below the hub's MAX_FRAME_BYTES (16 MB). */
const TOPOLOGY_MAX_BYTES = 8 * 1024 * 1024;

export function createCollector(opts?: AgentOptions): Promise<Collector> {
  return createAgentCollector(opts);
}

export interface Collector {
  discover(): Promise<Topology>;
  sample(): Promise<Sample>;
  topology(): Topology;
  close(): Promise<void>;
}

/** Test seams: fixture trees have no `ip`, no /run/netns and no processes to hold. */
export interface CollectorDeps {
  run: Runner;
  netnsDir: string;
  /** Start holders, `ip monitor`, inotify, tc readers and give named namespaces an nsid. */
  live: boolean;
}

/** The public createCollector, with test seams and the concrete type the streaming agent uses. */
export async function createAgentCollector(
  opts?: AgentOptions,
  deps?: Partial<CollectorDeps>,
): Promise<AgentCollector> {
  const resolved = resolveOptions(opts);
  const full: CollectorDeps = {
    run: deps?.run ?? execText,
    netnsDir: deps?.netnsDir ?? '/run/netns',
    live: deps?.live ?? resolved.procRoot === '/proc',
  };
  const tracer = !resolved.tracing
    ? DropTracer.off('disabled (--no-tracing)')
    : full.live
      ? await DropTracer.start(resolved.sysRoot, resolved.log)
      : DropTracer.off('not traced: reading a fixture tree');
  const collector = new AgentCollector(resolved, full, tracer);
  try {
    await collector.start();
  } catch (e) {
    await collector.close();
    throw e;
  }
  return collector;
}

/** The Collector, plus what the streaming agent needs beyond the public interface. */
export class AgentCollector implements Collector {
  private readonly facts: HostFacts;
  private readonly match: (name: string) => boolean;
  private readonly holders: Holders;
  private monitor: LinkMonitor | null = null;
  private stopWatch: (() => void) | null = null;
  private unregister: (() => void) | null = null;

  private namespaces = new Map<string, NsEntry>();
  private probes = new Map<string, NsProbe>();
  private topo: Topology;
  private topoVersion = 0;
  private processNs = new Map<number, number>();
  private readonly scanner: ProcessNsScanner;
  /** Per namespace: interface name → its id and the ifindex discovery saw (rebuilt with the topology). */
  private ids: IdIndex = new Map();
  private readonly reader: CounterReader;
  private netnsNames: string[] = [];
  private readonly nsidAssigned = new Set<string>();
  /** Open vSwitch (issue 11): OVSDB monitor, datapath health, drop flows; null when there is none. */
  private readonly ovs: OvsSource | null;
  /** JSON of the current topology: compared to tell a real change from a rediscovery that found the same. */
  private topoJson = '';
  private hostNsids = new Map<number, string | null>();
  private readonly qdiscs: QdiscReaders;
  /** Issue 10: conntrack, neighbours, rp_filter and firewall rules per namespace (proto/reader.ts). */
  private readonly proto: NsProtoReader;

  /** Which namespaces to re-probe, whether to relist (collector/changes.ts). */
  private readonly changes = new ChangeTracker(performance.now());
  /** Round-robin position of the RPS refresh over the namespaces. */
  private rpsCursor = 0;
  /** The refresh's rps_cpus descriptors, kept open (sampling/rps-files.ts). */
  private readonly rpsFiles = new RpsFiles();
  /** Namespaces over the per-namespace interface budget: their size and when to look again. */
  private readonly overBudget = new Map<string, { ifaces: number; recheckAt: number }>();
  /** Namespaces found but not watched (over the namespace budget). */
  private unwatched = 0;
  /** Per namespace: the size of its probe's JSON, its share of the topology frame. */
  private readonly probeBytes = new Map<string, number>();

  private prev: CounterTotals | null = null;
  private prevMono = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * The collector's lifecycle (SPEC COL6):
   * - `starting`: the first discovery and the baseline are being taken; every namespace found is
   *   admitted at once and nothing is logged as appearing or going;
   * - `running`: after the baseline; new unnamed namespaces are admitted at most
   *   MAX_NEW_UNNAMED_PER_SCAN per scan, namespaces coming and going are logged, a change of the
   *   unwatched count rebuilds the topology;
   * - `closed`: close() or a signal ran; helpers are gone, sample() and discover() throw.
   * starting → running (start() done) → closed; starting → closed when start() fails.
   */
  private phase: 'starting' | 'running' | 'closed' = 'starting';

  constructor(
    readonly opts: ResolvedOptions,
    private readonly deps: CollectorDeps,
    private readonly tracer: DropTracer,
  ) {
    this.facts = { host: opts.host, kernel: release(), cpus: cpus().length };
    this.match = netnsMatcher(opts.netnsGlob);
    this.holders = new Holders(opts.procRoot, () => {
      this.changes.requestRelist();
    });
    this.topo = buildTopology(this.facts, []);
    this.scanner = new ProcessNsScanner(opts.procRoot, (pid) => this.holders.isHolder(pid));
    this.reader = new CounterReader(opts.procRoot, opts.log, netDevMaxBytes(opts.maxNsIfaces));
    setRefusalLog((msg) => opts.log('warn', msg));
    this.qdiscs = new QdiscReaders(opts.log);
    this.proto = new NsProtoReader(opts.procRoot, deps.run, opts.log, deps.live, this.reader.hostFiles);
    this.ovs = deps.live ? OvsSource.create(opts.ovsdb, deps.run, opts.log) : null;
  }

  get tracingState(): 'on' | 'off' | 'unavailable' {
    return this.tracer.status;
  }

  /** Increments whenever the topology changes: the streaming agent sends it then. */
  get topologyVersion(): number {
    return this.topoVersion;
  }

  async start(): Promise<void> {
    if (this.deps.live) {
      this.unregister = registerCleanup(() => this.closeSync());
      this.monitor = new LinkMonitor(
        (event) => this.changes.monitorEvent(event, this.hostNsids, this.namespaces),
        this.opts.log,
        () => this.changes.markAll(this.namespaces.keys()),
      );
      this.monitor.start();
      this.stopWatch = watchNetnsDir(this.deps.netnsDir, () => this.onNetnsDirChange());
    }
    await this.ovs?.start();
    await this.discover();
    await this.proto.prime([...this.namespaces.values()]);
    const baseline = this.readSnapshot();
    baseline.qdiscs = await this.qdiscs.read();
    this.prev = baseline;
    this.prevMono = performance.now();
    this.phase = 'running';
    this.tracer.drain(); // drops before the baseline belong to no interval
  }

  topology(): Topology {
    return this.topo;
  }

  /** Full rediscovery of every namespace, serialised with sampling. */
  discover(): Promise<Topology> {
    return this.serial(async () => {
      this.changes.forceFull();
      await this.refreshNamespaces();
      this.changes.markAll(this.namespaces.keys());
      await this.rediscoverDirty();
      return this.topo;
    });
  }

  sample(): Promise<Sample> {
    return this.serial(() => this.takeSample());
  }

  /** Absolute totals of the latest sample (or the baseline), for the periodic keyframe. */
  keyframe(): Keyframe {
    return keyframeOf(Date.now(), this.prev ?? emptySnapshot());
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.phase === 'closed') throw new Error('collector is closed');
      return fn();
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async takeSample(): Promise<Sample> {
    const now = performance.now();
    // inotify reports /run/netns changes at once; without a watcher (no /run/netns yet, or a
    // fixture tree) compare the listing every sample instead.
    if (
      this.stopWatch === null &&
      listNetnsNames(this.deps.netnsDir).join('\n') !== this.netnsNames.join('\n')
    ) {
      this.changes.requestRelist();
    }
    if (this.changes.procScanDue(now)) this.scanProcesses();
    this.changes.tick(now, [...this.namespaces.keys()]);
    for (const [name, o] of this.overBudget) if (now >= o.recheckAt) this.changes.markDirty(name);
    this.changes.settleAddresses((name) => this.probes.get(name));
    if (this.changes.takeRelist()) await this.refreshNamespaces();
    if (this.changes.dirty.size > 0) await this.rediscoverDirty(MAX_UNNAMED_PROBES_PER_SAMPLE);
    this.refreshRps();
    if (this.ovs?.shapeChanged()) this.rebuild();

    let snap = this.readSnapshot();
    if (this.changes.dirty.size > 0) {
      // An interface appeared, vanished or was renamed since discovery: rediscover now so this
      // sample's rows carry ids of the topology they are sent with, then read again.
      await this.rediscoverDirty(MAX_UNNAMED_PROBES_PER_SAMPLE);
      snap = this.readSnapshot();
    }
    snap.qdiscs = await this.qdiscs.read();
    const mono = performance.now();
    const elapsedMs = Math.max(1, Math.round(mono - this.prevMono));
    const deltas = diffCounters(this.prev ?? snap, snap, elapsedMs);
    const { drops, tracing } = this.tracer.drain(this.opts.intervalMs);
    this.prev = snap;
    this.prevMono = mono;
    if (drops.some((d) => d.reason === 'IP_RPFILTER' && d.count > 0))
      this.changes.rpFilterDrops(mono, this.hostNsids, this.namespaces.values());
    const nsproto = await this.proto.sample(
      [...this.namespaces.values()],
      drops,
      (name) => this.probes.get(name)?.rpFilter,
    );
    const ovs = this.ovs ? await this.ovs.sample(mono, deltas.ifaces) : null;
    return {
      t: Date.now(),
      ...deltas,
      drops,
      sysctls: readSysctls(this.reader.hostFiles, this.opts.procRoot),
      tracing,
      ...(Object.keys(nsproto).length > 0 ? { nsproto } : {}),
      ...(ovs ? { ovs } : {}),
    };
  }

  /** Counters of every namespace; names that no longer match the topology mark it dirty. */
  private readSnapshot(): CounterTotals {
    const { snap, mismatched, unreadable } = this.reader.read(this.namespaces.values(), this.ids, this.prev);
    for (const name of mismatched) this.changes.markDirty(name);
    if (unreadable.length > 0) this.changes.requestRelist();
    return snap;
  }

  // ---- namespaces --------------------------------------------------------------------------

  private onNetnsDirChange(): void {
    if (this.phase === 'closed') return;
    const names = new Set(listNetnsNames(this.deps.netnsDir));
    // Let go of deleted namespaces at once: our holder would keep them (and their veths) alive.
    for (const ns of this.namespaces.values()) {
      if (ns.kind === 'named' && !names.has(ns.name)) this.dropNamespace(ns.name);
    }
    this.changes.requestRelist();
  }

  /** Which namespaces processes live in; a relist only when that changed (the scan is cheap, the relist not). */
  private scanProcesses(): void {
    const scanned = this.scanner.scan(performance.now());
    const same =
      scanned.size === this.processNs.size &&
      [...scanned].every(([inode, pid]) => this.processNs.get(inode) === pid);
    if (same) return;
    this.processNs = scanned;
    this.changes.requestRelist();
  }

  private async refreshNamespaces(): Promise<void> {
    const now = performance.now();
    if (this.changes.procScanDue(now)) this.scanProcesses();
    this.netnsNames = listNetnsNames(this.deps.netnsDir);
    if (this.stopWatch === null && this.deps.live && this.netnsNames.length > 0) {
      this.stopWatch = watchNetnsDir(this.deps.netnsDir, () => this.onNetnsDirChange());
    }
    const listed = listNamespaces(
      { procRoot: this.opts.procRoot, netnsDir: this.deps.netnsDir },
      this.processNs,
      this.match,
    );
    const { kept: found, left } = pickNamespaces(
      listed,
      new Set(this.namespaces.keys()),
      this.opts.maxNamespaces,
    );
    // Said when it starts and when it ends, not at every count in between (a flood grows for
    // minutes); the count itself is in topology.truncated.
    if (left > 0 && this.unwatched === 0) {
      this.opts.log(
        'warn',
        `${listed.length} network namespaces, over the budget of ${this.opts.maxNamespaces} (--max-netns): ` +
          `${left} not watched, unnamed ones (ns-<inode>) first; the topology counts them (truncated)`,
      );
    } else if (left === 0 && this.unwatched > 0) {
      this.opts.log('info', `back within the budget of ${this.opts.maxNamespaces} network namespaces`);
    }
    if (left !== this.unwatched) {
      this.unwatched = left;
      if (this.phase === 'running') this.rebuild();
    }
    const admitted = this.admit(found, now);
    const foundNames = new Set(found.map((n) => n.name));
    for (const name of [...this.namespaces.keys()]) if (!foundNames.has(name)) this.dropNamespace(name);
    for (const name of [...this.overBudget.keys()]) if (!foundNames.has(name)) this.overBudget.delete(name);
    await mapLimit(admitted, PROBE_CONCURRENCY, async (ns) => {
      const known = this.namespaces.get(ns.name);
      if (known && known.inode === ns.inode) {
        if (ns.kind === 'unnamed') known.via = ns.via; // its first process may have exited
        if (ns.kind === 'host' || this.holders.pid(ns.name) !== null || !this.deps.live) return;
      }
      if (known) this.dropNamespace(ns.name); // same name, new namespace (or holder gone): start over
      if (ns.kind !== 'host' && this.deps.live) {
        const target = ns.kind === 'named' ? { name: ns.name } : { viaPid: ns.via ?? -1 };
        const held = await this.holders.ensure(ns.name, ns.inode, target);
        if ('error' in held) {
          this.opts.log('warn', held.error);
          return;
        }
        ns.pid = held.pid;
        ns.sysDev = held.sysDev;
      } else if (ns.kind === 'unnamed') {
        ns.pid = ns.via; // a fixture tree: its processes are the test's, not a tenant's
      }
      if (this.phase === 'running' && !known) this.opts.log('info', `${nsLabel(ns)} appeared`);
      this.namespaces.set(ns.name, ns);
      this.changes.markDirty(ns.name);
    });
  }

  /** `found` without the new unnamed namespaces beyond this scan's admission limit. */
  private admit(found: NsEntry[], now: number): NsEntry[] {
    this.changes.admitLater(null);
    if (this.phase !== 'running') return found;
    let fresh = 0;
    const out = found.filter(
      (ns) => ns.kind !== 'unnamed' || this.namespaces.has(ns.name) || ++fresh <= MAX_NEW_UNNAMED_PER_SCAN,
    );
    if (fresh > MAX_NEW_UNNAMED_PER_SCAN) this.changes.admitLater(now);
    return out;
  }

  private dropNamespace(name: string): void {
    const ns = this.namespaces.get(name);
    if (ns && this.phase === 'running') this.opts.log('info', `${nsLabel({ name })} is gone`);
    if (ns) this.reader.forget(ns);
    this.proto.forget(name);
    this.namespaces.delete(name);
    this.changes.forget(name);
    this.holders.kill(name);
    this.qdiscs.close(name);
    this.rpsFiles.forget(name);
    this.probeBytes.delete(name);
    const wasOver = this.overBudget.delete(name);
    if (this.probes.delete(name) || wasOver) this.rebuild();
  }

  /**
   * Probe the dirty namespaces (at most `unnamedLimit` unnamed ones; the rest stay dirty for the
   * next sample). A namespace over the per-namespace interface budget is found by counting its
   * /proc/PID/net/dev lines (a capped read) before any `ip` runs, and left out.
   */
  private async rediscoverDirty(unnamedLimit = Number.POSITIVE_INFINITY): Promise<void> {
    const now = performance.now();
    const names: string[] = [];
    let unnamed = 0;
    const dirty = this.changes.dirty;
    for (const name of dirty) {
      const ns = this.namespaces.get(name);
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
      const ns = this.namespaces.get(name);
      if (!ns) return;
      const counted = countNetDevIfaces(this.opts.procRoot, ns, this.opts.maxNsIfaces);
      const probe =
        counted === 'over'
          ? null
          : await probeNamespace(ns, this.deps.run, this.opts, (msg) => this.opts.log('warn', msg));
      if (this.namespaces.get(name) !== ns) {
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
        this.namespaces.values(),
        this.hostNsids,
        this.nsidAssigned,
      );
      if (table) this.hostNsids = table;
    }
    this.rebuild();
  }

  private refreshRps(): void {
    const probes = [...this.probes.values()];
    if (probes.length === 0) return;
    const perSample = Math.ceil((probes.length * this.opts.intervalMs) / RPS_REFRESH_MS);
    let changed = false;
    const log = (msg: string) => this.opts.log('warn', msg);
    for (let k = 0; k < Math.min(perSample, probes.length); k++) {
      const probe = probes[this.rpsCursor++ % probes.length]!;
      const files = this.rpsFiles.refresh(probe.ns.name);
      const rps = readRps(probe.ns, probe.links, this.opts, log, files.read);
      files.done();
      for (const [name, mask] of rps) if (probe.rps.get(name) !== mask) changed = true;
      probe.rps = rps;
    }
    if (changed) this.rebuild();
  }

  /** Rebuild the topology from the probes within the budgets; bump the version only when something differs. */
  private rebuild(): void {
    const ordered = [...this.namespaces.keys()].flatMap((n) => {
      const p = this.probes.get(n);
      return p ? [p] : [];
    });
    const { shown, dropped, truncated } = applyBudgets(
      ordered,
      { maxIfaces: this.opts.maxIfaces, maxBytes: TOPOLOGY_MAX_BYTES },
      (p) => this.probeBytes.get(p.ns.name) ?? 0,
      this.unwatched,
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
    this.ids = new Map(shown.map((p) => [p.ns.name, idsOf(p)]));
    const json = JSON.stringify(next);
    if (json !== this.topoJson) {
      this.topo = next;
      this.topoJson = json;
      this.topoVersion++;
    }
    if (this.deps.live) this.qdiscs.sync(this.topo, this.namespaces);
  }

  // ---- shutdown ----------------------------------------------------------------------------

  private closeSync(): void {
    this.phase = 'closed';
    this.monitor?.stop();
    this.stopWatch?.();
    this.holders.closeAll();
    this.reader.close();
    this.rpsFiles.closeAll();
    this.qdiscs.closeAll();
    this.tracer.close();
    this.ovs?.close();
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    await this.queue.catch(() => {});
    this.closeSync();
    this.unregister?.();
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

function emptySnapshot(): CounterTotals {
  return { ifaces: new Map(), softnet: [], qdiscs: new Map(), snmp: new Map() };
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
