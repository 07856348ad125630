import { cpus, release } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Keyframe, Sample, Topology } from '@hopwatch/shared';
import { type CounterTotals, diffCounters, keyframeJson, keyframeOf } from './diff.ts';
import { LinkMonitor } from './discovery/monitor.ts';
import type { Runner } from './discovery/probe.ts';
import { OvsSource } from './ovs/source.ts';
import { NsProtoReader } from './proto/reader.ts';
import { QdiscReaders } from './discovery/qdisc.ts';
import { type AgentOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { netDevMaxBytes, SysctlReader } from './sampling/ns-files.ts';
import { CounterReader } from './sampling/counter-reader.ts';
import { DropTracer } from './tracing/tracer.ts';
import { registerCleanup } from './util/cleanup.ts';
import { execText } from './util/exec.ts';
import { setRefusalLog } from './util/procfs.ts';
import { ChangeTracker } from './collector/changes.ts';
import { Discovery } from './collector/discovery.ts';
import { Namespaces } from './collector/namespaces.ts';

/**
 * The collector orchestrates one sample: what changed (collector/changes.ts) → which namespaces
 * are watched (collector/namespaces.ts) → what they look like (collector/discovery.ts) → their
 * counters (sampling/) → deltas (diff.ts), drop reasons (tracing/), protocol state (proto/), OVS.
 */

/**
 * Unnamed namespaces re-probed per sample at most: a tenant renaming interfaces in a loop in a
 * thousand namespaces would otherwise cost a thousand `ip` runs a second. The rest wait for the
 * next sample (their rows are skipped until then).
 */
const MAX_UNNAMED_PROBES_PER_SAMPLE = 16;

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
  private monitor: LinkMonitor | null = null;
  private unregister: (() => void) | null = null;
  private readonly reader: CounterReader;
  private readonly sysctls: SysctlReader;
  /** Open vSwitch (issue 11): OVSDB monitor, datapath health, drop flows; null when there is none. */
  private readonly ovs: OvsSource | null;
  private readonly qdiscs: QdiscReaders;
  /** Issue 10: conntrack, neighbours, rp_filter and firewall rules per namespace (proto/reader.ts). */
  private readonly proto: NsProtoReader;
  /** Which namespaces to re-probe, whether to relist (collector/changes.ts). */
  private readonly changes = new ChangeTracker(performance.now());
  /** Which namespaces are watched, with their holders (collector/namespaces.ts). */
  private readonly namespaces: Namespaces;
  /** Probes, rps_cpus and the topology (collector/discovery.ts). */
  private readonly discovery: Discovery;

  private prev: CounterTotals | null = null;
  private prevMono = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * The collector's lifecycle (SPEC COL6):
   * - `starting`: the first discovery and the baseline are being taken; every namespace found is
   *   admitted at once and nothing is logged as appearing or going;
   * - `running`: after the baseline; new unnamed namespaces are admitted at most
   *   MAX_NEW_UNNAMED_PER_SCAN per scan (collector/namespaces.ts), namespaces coming and going
   *   are logged, a change of the unwatched count rebuilds the topology;
   * - `closed`: close() or a signal ran; helpers are gone, sample() and discover() throw.
   * starting → running (start() done) → closed; starting → closed when start() fails.
   */
  private phase: 'starting' | 'running' | 'closed' = 'starting';

  constructor(
    readonly opts: ResolvedOptions,
    private readonly deps: CollectorDeps,
    private readonly tracer: DropTracer,
  ) {
    this.reader = new CounterReader(opts.procRoot, opts.log, netDevMaxBytes(opts.maxNsIfaces));
    this.sysctls = new SysctlReader(this.reader.hostFiles, opts.procRoot);
    setRefusalLog((msg) => opts.log('warn', msg));
    this.qdiscs = new QdiscReaders(opts.log);
    this.proto = new NsProtoReader(opts.procRoot, deps.run, opts.log, deps.live, this.reader.hostFiles);
    this.ovs = deps.live ? OvsSource.create(opts.ovsdb, deps.run, opts.log) : null;
    this.namespaces = new Namespaces(opts, deps, this.changes, () => this.phase, {
      gone: (name, ns) => {
        if (ns) this.reader.forget(ns);
        this.proto.forget(name);
        this.qdiscs.close(name);
        this.discovery.forget(name);
      },
      unwatchedChanged: () => this.discovery.rebuild(),
    });
    const facts = { host: opts.host, kernel: release(), cpus: cpus().length };
    this.discovery = new Discovery(opts, deps, facts, this.namespaces, this.changes, this.qdiscs, this.ovs);
  }

  get tracingState(): 'on' | 'off' | 'unavailable' {
    return this.tracer.status;
  }

  /** Increments whenever the topology changes: the streaming agent sends it then. */
  get topologyVersion(): number {
    return this.discovery.version;
  }

  async start(): Promise<void> {
    const watched = this.namespaces.watched;
    if (this.deps.live) {
      this.unregister = registerCleanup(() => this.closeSync());
      this.monitor = new LinkMonitor(
        (event) => this.changes.monitorEvent(event, this.discovery.hostNsids, watched),
        this.opts.log,
        () => this.changes.markAll(watched.keys()),
      );
      this.monitor.start();
      this.namespaces.watchDir();
    }
    await this.ovs?.start();
    await this.discover();
    await this.proto.prime([...watched.values()]);
    const baseline = this.readSnapshot();
    baseline.qdiscs = await this.qdiscs.read();
    this.prev = baseline;
    this.prevMono = performance.now();
    this.phase = 'running';
    this.tracer.drain(); // drops before the baseline belong to no interval
  }

  topology(): Topology {
    return this.discovery.topology();
  }

  /** Full rediscovery of every namespace, serialised with sampling. */
  discover(): Promise<Topology> {
    return this.serial(async () => {
      this.changes.forceFull();
      await this.namespaces.refresh();
      this.changes.markAll(this.namespaces.watched.keys());
      await this.discovery.rediscoverDirty();
      return this.discovery.topology();
    });
  }

  sample(): Promise<Sample> {
    return this.serial(() => this.takeSample());
  }

  /** Absolute totals of the latest sample (or the baseline), for the periodic keyframe. */
  keyframe(): Keyframe {
    return keyframeOf(Date.now(), this.prev ?? emptySnapshot());
  }

  /** keyframe() as JSON, written straight from the totals (SPEC CTR8). */
  keyframeJson(): string {
    return keyframeJson(Date.now(), this.prev ?? emptySnapshot());
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
    const watched = this.namespaces.watched;
    const discovery = this.discovery;
    this.namespaces.check(now);
    this.changes.tick(now, [...watched.keys()]);
    discovery.recheckOverBudget(now);
    this.changes.settleAddresses((name) => discovery.probes.get(name));
    if (this.changes.takeRelist()) await this.namespaces.refresh();
    if (this.changes.dirty.size > 0) await discovery.rediscoverDirty(MAX_UNNAMED_PROBES_PER_SAMPLE);
    discovery.refreshRps(now, (name) => this.reader.quietFor(name));
    if (this.ovs?.shapeChanged()) discovery.rebuild();

    let snap = this.readSnapshot();
    if (this.changes.dirty.size > 0) {
      // An interface appeared, vanished or was renamed since discovery: rediscover now so this
      // sample's rows carry ids of the topology they are sent with, then read again.
      await discovery.rediscoverDirty(MAX_UNNAMED_PROBES_PER_SAMPLE);
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
      this.changes.rpFilterDrops(mono, discovery.hostNsids, watched.values());
    const nsproto = await this.proto.sample(
      [...watched.values()],
      drops,
      (name) => discovery.probes.get(name)?.rpFilter,
      (name) => this.reader.quietFor(name),
    );
    const ovs = this.ovs ? await this.ovs.sample(mono, deltas.ifaces) : null;
    return {
      t: Date.now(),
      ...deltas,
      drops,
      sysctls: this.sysctls.read(),
      tracing,
      ...(Object.keys(nsproto).length > 0 ? { nsproto } : {}),
      ...(ovs ? { ovs } : {}),
    };
  }

  /** Counters of every namespace; names that no longer match the topology mark it dirty. */
  private readSnapshot(): CounterTotals {
    const { snap, mismatched, unreadable } = this.reader.read(
      this.namespaces.watched.values(),
      this.discovery.ids,
      this.prev,
    );
    for (const name of mismatched) this.changes.markDirty(name);
    if (unreadable.length > 0) this.changes.requestRelist();
    return snap;
  }

  // ---- shutdown ----------------------------------------------------------------------------

  private closeSync(): void {
    this.phase = 'closed';
    this.monitor?.stop();
    this.namespaces.close();
    this.reader.close();
    this.discovery.close();
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

function emptySnapshot(): CounterTotals {
  return { ifaces: new Map(), softnet: [], qdiscs: new Map(), snmp: new Map() };
}
