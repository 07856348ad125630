import {
  type AgentMessage,
  type HopReport,
  type HostSummary,
  localize,
  type Topology,
} from '@hopwatch/shared';
import type { Logger, OnceLogger } from './log.ts';
import { HubCounters } from './state/counters.ts';
import { startLoopDelayMonitor } from './state/loopDelay.ts';
import { LatestSample } from './state/latest.ts';
import { type IfaceRows, RowPacker, restTextOf } from './state/rows.ts';
import { type HopStatuses, hopStatusesOf } from './state/hopStatus.ts';
import { type HostJudgement, judgementOf } from './state/summary.ts';
import { HostTotals } from './state/totals.ts';
import { type Bus, InProcessBus, type LiveState } from './seams/bus.ts';
import type { RecordingStore } from './seams/recording.ts';
import {
  type AgentLease,
  InProcessRegistry,
  LAGGING_AFTER_INTERVALS,
  type Registry,
} from './seams/registry.ts';
import type { UiClient } from './ws/uiClient.ts';

type Hello = Extract<AgentMessage, { type: 'hello' }>;
type SampleMessage = Extract<AgentMessage, { type: 'sample' }>;

/** How often every browser gets the host list (status, worst hop) even when nothing connected. */
export const HOSTS_BROADCAST_INTERVAL_MS = 2_000;
/** CPU the hub spends judging hosts per judging tick (at most 8 % of a core). */
export const JUDGE_BUDGET_MS = 40;
/** How often hosts are judged (watched ones when stale, the others when due). */
export const JUDGE_INTERVAL_MS = 500;
/**
 * A host no browser watches takes its status from its recording: each chunk's window (10 s) is
 * judged once for the timeline's summary when the chunk is written, and that judgement is the
 * host's status too (chunkJudged). The hub judges such a host itself only when it has no
 * judgement yet or its last is older than this: a chunk that could not be judged (no topology),
 * a host whose chunks stopped. So its status is at most ~10 s (a chunk) old, and a host nobody
 * looks at costs one `localize` per chunk. (issue 12: judging every host every tick cost more
 * than all the rest of the hub's work on a sample; then judging it every 10 s besides its chunk
 * was a fifth of a replica's CPU.) A watched host is judged on every tick its latest sample
 * changed, as before.
 */
export const UNWATCHED_JUDGE_EVERY_MS = 15_000;
/** How often slow browsers are checked for room to take their pending (merged) frames. */
const UI_DRAIN_INTERVAL_MS = 50;
/**
 * Protocol-level ping to every agent and browser this often; one without a pong by the next tick
 * is dropped, so a half-open TCP connection frees its host name and memory within two ticks.
 */
export const HEARTBEAT_INTERVAL_MS = 15_000;
/** An agent silent for this long counts as gone: a second agent may take its host name. */
export const AGENT_GONE_MIN_MS = 10_000;
/**
 * Samples from further in the future than this are refused: one frame with a wild clock would
 * otherwise become the host's lastT and make every later, correct sample look out of order for
 * that long (and a hostile agent could blind its host's recording so). NTP keeps clocks within
 * milliseconds; ten seconds forgives a host without it for a while, and the refusals (counted
 * as reason="future", logged) say what to fix.
 */
export const MAX_FUTURE_SKEW_MS = 10_000;

/** What the hub needs from an agent's connection (ws/agentSession.ts). */
export interface AgentLink {
  readonly instance: string;
  readonly remote: string;
  /** Hub clock of the last frame received. */
  lastFrameAt: number;
  isOpen(): boolean;
  close(code: number, reason: string): void;
}

export interface HostState {
  host: string;
  link: AgentLink | null;
  agentVersion: string | null;
  intervalMs: number;
  topology: { t: number; topology: Topology } | null;
  /**
   * The latest live sample, in buffers the host keeps (state/latest.ts): built again only when
   * judged or when a browser starts watching. Holding the parsed object (~3000 small objects at
   * 1000 interfaces) for every host made each young-generation GC copy hundreds of thousands of
   * objects (bench:hub saw 200-350 ms scavenges); its JSON text cost a JSON.stringify per sample.
   */
  latest: LatestSample | null;
  /** Hub clock of the last live sample. */
  lastSampleAt: number | null;
  totals: HostTotals;
  /** Its samples' interface rows, one walk each (state/rows.ts). */
  rows: RowPacker;
  /**
   * The latest judgement's status per hop (/metrics): localize() of the latest sample
   * (refreshJudgements, may lag it) or of the latest chunk's window (chunkJudged). Not the
   * reports themselves: see state/hopStatus.ts.
   */
  hops: HopStatuses | null;
  summary: HostJudgement | null;
  /** The latest sample or topology changed since reports were computed. */
  judgementStale: boolean;
  /** Hub clock of the last judgement; the stalest host goes first. */
  judgedAt: number;
  /** t of the last sample the judgement covers (a window's last): older windows do not replace it. */
  judgedT: number;
}

/** The seams besides the recording; both default to this process alone (seams/). */
export interface HubSeams {
  bus?: Bus;
  registry?: Registry;
}

/**
 * The hub's live state: hosts and their agents, browsers and what they watch. Everything the
 * sockets and the HTTP routes do goes through here, so the routing stays thin.
 */
export class HubCore {
  readonly counters = new HubCounters();
  readonly hosts = new Map<string, HostState>();
  readonly uiClients = new Set<UiClient>();
  readonly loopDelay = startLoopDelayMonitor();
  /** One per open socket (agent or browser), called every HEARTBEAT_INTERVAL_MS. */
  readonly heartbeats = new Set<() => void>();
  readonly bus: Bus;
  readonly registry: Registry;
  private readonly leases = new WeakMap<AgentLink, AgentLease>();
  /** Per browser, the unsubscribe of each host it watches. */
  private readonly watching = new WeakMap<UiClient, Map<string, () => void>>();
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    readonly store: RecordingStore,
    readonly log: Logger,
    readonly logOnce: OnceLogger,
    private readonly now: () => number = Date.now,
    seams: HubSeams = {},
  ) {
    this.bus = seams.bus ?? new InProcessBus((host) => this.liveState(host));
    this.registry = seams.registry ?? new InProcessRegistry(now);
    store.onChunkJudged?.((host, end, reports) => this.chunkJudged(host, end, reports));
    for (const host of store.hosts()) {
      const state = this.stateOf(host);
      const topo = store.topologyAt(host, Number.MAX_SAFE_INTEGER);
      if (topo) state.topology = topo;
    }
    this.timers.push(setInterval(() => this.broadcastHosts(), HOSTS_BROADCAST_INTERVAL_MS));
    this.timers.push(setInterval(() => this.refreshJudgements(), JUDGE_INTERVAL_MS));
    this.timers.push(
      setInterval(() => {
        for (const c of this.uiClients) c.drain();
      }, UI_DRAIN_INTERVAL_MS),
    );
    this.timers.push(
      setInterval(() => {
        for (const beat of this.heartbeats) beat();
      }, HEARTBEAT_INTERVAL_MS),
    );
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.loopDelay.stop();
  }

  /** What a browser that starts watching `host` is sent at once (the Bus asks the owner). */
  liveState(host: string): LiveState | null {
    const s = this.hosts.get(host);
    return s
      ? { topology: s.topology, latest: s.latest ? { t: s.latest.t, json: s.latest.json() } : null }
      : null;
  }

  private stateOf(host: string): HostState {
    let s = this.hosts.get(host);
    if (!s) {
      s = {
        host,
        link: null,
        agentVersion: null,
        intervalMs: 1000,
        topology: null,
        latest: null,
        lastSampleAt: null,
        totals: new HostTotals(),
        rows: new RowPacker(),
        hops: null,
        summary: null,
        judgementStale: true,
        judgedAt: 0,
        judgedT: 0,
      };
      this.hosts.set(host, s);
    }
    return s;
  }

  agentsConnected(): number {
    let n = 0;
    for (const s of this.hosts.values()) if (s.link) n += 1;
    return n;
  }

  // ---- agents -------------------------------------------------------------------------------

  /**
   * A second agent claiming a host name that a live agent holds is refused (two machines with
   * the same --name would interleave their counters). The same agent process reconnecting
   * (same `instance`) replaces its old, probably half-open, connection; so does anyone once the
   * holder has been silent long enough to count as gone.
   */
  async claimHost(
    link: AgentLink,
    hello: Hello,
    goneMinMs: number = AGENT_GONE_MIN_MS,
  ): Promise<string | null> {
    const lease: AgentLease = {
      instance: hello.instance,
      remote: link.remote,
      intervalMs: hello.intervalMs,
      lastFrameAt: () => link.lastFrameAt,
      isOpen: () => link.isOpen(),
      revoke: (code, reason) => link.close(code, reason),
    };
    const refusal = await this.registry.claim(hello.host, lease, goneMinMs);
    if (refusal) return refusal;
    try {
      await this.store.adopt?.(hello.host);
    } catch (e) {
      this.registry.release(hello.host, lease);
      throw e;
    }
    // The socket may have closed while the lease was being taken (a fleet asks NATS).
    if (!link.isOpen()) {
      this.registry.release(hello.host, lease);
      return 'the connection closed while its host name was being claimed';
    }
    this.leases.set(link, lease);
    const state = this.stateOf(hello.host);
    state.link = link;
    state.agentVersion = hello.agentVersion;
    state.intervalMs = hello.intervalMs;
    this.log.info(`agent ${hello.host} connected from ${link.remote} (agent ${hello.agentVersion})`);
    this.broadcastHosts();
    return null;
  }

  agentGone(host: string, link: AgentLink): void {
    const lease = this.leases.get(link);
    if (lease) this.registry.release(host, lease);
    const state = this.hosts.get(host);
    if (!state || state.link !== link) return;
    state.link = null;
    this.log.info(`agent ${host} disconnected`);
    this.broadcastHosts();
  }

  onTopology(host: string, t: number, topology: Topology): 'ok' | 'future' {
    if (t > this.now() + MAX_FUTURE_SKEW_MS) return 'future';
    const state = this.stateOf(host);
    this.store.appendTopology(host, t, topology);
    state.topology = { t, topology };
    state.judgementStale = true;
    this.bus.publishTopology(host, t, topology);
    return 'ok';
  }

  /**
   * `scanned`: the sample's interface rows when the frame was read straight into them
   * (ws/sampleScan.ts); else they are made here, one walk for the recording, the totals and the
   * latest sample (state/rows.ts). Either way they are copied before this returns.
   */
  onSample(host: string, msg: SampleMessage, scanned?: IfaceRows): 'ok' | 'out_of_order' | 'future' {
    const { sample } = msg;
    if (sample.t > this.now() + MAX_FUTURE_SKEW_MS) return 'future';
    const state = this.stateOf(host);
    const rows = scanned ?? state.rows.pack(sample.ifaces);
    // One text of the rest (softnet, drops...) for the open chunk and the latest sample alike.
    const rest = restTextOf(sample);
    if (!this.store.append(host, sample, rows, rest)) return 'out_of_order';
    this.counters.samplesRecorded += 1;
    state.totals.add(sample, rows);
    // Backfilled samples go to the recording and the counters, not to live views: a browser
    // watching live wants now, and replay reads the recording.
    if (msg.backfill) return 'ok';
    state.latest ??= new LatestSample();
    state.latest.set(sample, rows, rest);
    state.lastSampleAt = this.now();
    state.judgementStale = true;
    // Serialised only for someone watching (here, or on another replica through its lease), once
    // for all of them: nobody watches most hosts most of the time.
    if (this.bus.watched(host)) this.bus.publishSample(host, JSON.stringify(sample));
    return 'ok';
  }

  // ---- judgement, cached per latest sample ---------------------------------------------------

  /**
   * Re-judges hosts whose latest sample changed, watched ones first and then stalest first, until
   * `budgetMs` is spent: a watched host whenever it changed, any other host only when it has no
   * judgement yet or none for UNWATCHED_JUDGE_EVERY_MS (its chunks' windows judge it meanwhile).
   * localize() of a 1000-interface host costs ~1–3 ms (bench:hotpath, bench:path), so judging
   * 500 hosts on every sample would take most of a core.
   */
  refreshJudgements(budgetMs: number = JUDGE_BUDGET_MS): void {
    const t0 = performance.now();
    const dueBy = this.now() - UNWATCHED_JUDGE_EVERY_MS;
    // Watched hosts first: past the budget, what a browser shows must not wait behind hosts
    // nobody looks at. One host per round at least, so a slow judgement cannot stall the rest.
    const stale = [...this.hosts.values()]
      .filter((s) => s.judgementStale && s.topology)
      .map((s) => ({ s, watched: this.bus.watched(s.host) }))
      .filter(({ s, watched }) => watched || s.judgedAt === 0 || s.judgedAt <= dueBy)
      .sort((a, b) => Number(b.watched) - Number(a.watched) || a.s.judgedAt - b.s.judgedAt);
    for (const [i, { s }] of stale.entries()) {
      if (i > 0 && performance.now() - t0 >= budgetMs) break;
      try {
        const reports = localize(s.topology!.topology, s.latest?.sample() ?? null);
        s.hops = hopStatusesOf(reports);
        s.summary = judgementOf(reports.values());
      } catch (e) {
        this.logOnce('warn', `judge:${s.host}`, `judging ${s.host} failed: ${(e as Error).message}`);
      }
      s.judgementStale = false;
      s.judgedAt = this.now();
      s.judgedT = s.latest?.t ?? 0;
    }
  }

  /**
   * A chunk of `host` was written and its window judged for the recording's loss summary: that
   * judgement becomes the status of a host nobody watches, so the host is not judged a second
   * time (refreshJudgements leaves it alone while these keep coming). The status then says the
   * window's worst hop and rule — a loss anywhere in the last ~10 s, as the timeline's cell
   * says it — not only the last sample's. Not for a watched host (judged from its latest sample
   * on every change, which a window would contradict for a moment), nor for a window that ended
   * before the judgement held or long before the latest live sample (a backfill's chunks: the
   * past is not the status).
   */
  private chunkJudged(host: string, end: number, reports: Map<string, HopReport>): void {
    const s = this.hosts.get(host);
    if (!s || end <= s.judgedT || this.bus.watched(host)) return;
    if (s.latest && s.latest.t - end > UNWATCHED_JUDGE_EVERY_MS) return;
    s.hops = hopStatusesOf(reports);
    s.summary = judgementOf(reports.values());
    s.judgedAt = this.now();
    s.judgedT = end;
  }

  /** Hosts this process holds or has recorded, as every browser's host list shows them. */
  localSummaries(): HostSummary[] {
    const t = this.now();
    return [...this.hosts.values()].map((s) => {
      const summary = s.summary;
      const lagAfter = LAGGING_AFTER_INTERVALS * s.intervalMs + 2000;
      const fresh = s.lastSampleAt !== null && t - s.lastSampleAt <= lagAfter;
      return {
        host: s.host,
        status: s.link ? (fresh ? 'online' : 'lagging') : 'lost',
        lastSeen: this.store.lastT(s.host),
        agentVersion: s.agentVersion,
        ifaceCount: s.topology?.topology.ifaces.length ?? 0,
        lossHops: summary?.lossHops ?? 0,
        worst: summary?.worst ?? 'idle',
        worstHop: summary?.worstHop ?? null,
        rule: summary?.rule ?? null,
      };
    });
  }

  /**
   * Every host: this process's and those other replicas published (Registry). A host whose agent
   * moved to another replica is lost here and online there: the one with the agent wins, else
   * the one seen last.
   */
  hostSummaries(): HostSummary[] {
    const byHost = new Map<string, HostSummary>();
    for (const h of this.localSummaries()) byHost.set(h.host, h);
    for (const h of this.registry.remote()) {
      const cur = byHost.get(h.host);
      if (!cur || preferSummary(h, cur)) byHost.set(h.host, h);
    }
    return [...byHost.values()].sort((a, b) => a.host.localeCompare(b.host));
  }

  /** A host some process knows (an agent reported it, here or on another replica). */
  knowsHost(host: string): boolean {
    return this.hosts.has(host) || this.registry.remote().some((h) => h.host === host);
  }

  // ---- browsers -----------------------------------------------------------------------------

  private hostsFrame(): Buffer {
    return Buffer.from(JSON.stringify({ type: 'hosts', hosts: this.hostSummaries() }));
  }

  broadcastHosts(): void {
    // Judging runs on its own tick (JUDGE_INTERVAL_MS, JUDGE_BUDGET_MS): not again here.
    this.registry.publish(this.localSummaries());
    if (this.uiClients.size === 0) return;
    const frame = this.hostsFrame();
    for (const c of this.uiClients) c.sendHosts(frame);
  }

  addUi(client: UiClient): void {
    this.uiClients.add(client);
    client.sendHosts(this.hostsFrame());
  }

  removeUi(client: UiClient): void {
    this.uiClients.delete(client);
    for (const host of [...client.watched]) this.unwatch(host, client);
  }

  private unwatch(host: string, client: UiClient): void {
    client.unwatch(host);
    const stops = this.watching.get(client);
    stops?.get(host)?.();
    stops?.delete(host);
  }

  /** Hosts some browser watches (tests: nothing is kept for hosts nobody watches any more). */
  watchedHosts(): string[] {
    return this.bus.watchedHosts();
  }

  /** Replaces the set of hosts a browser watches; newly watched hosts get their current state. */
  subscribe(client: UiClient, hosts: readonly string[]): string[] {
    const next = new Set(hosts);
    for (const host of [...client.watched]) if (!next.has(host)) this.unwatch(host, client);
    let stops = this.watching.get(client);
    if (!stops) {
      stops = new Map();
      this.watching.set(client, stops);
    }
    const unknown: string[] = [];
    for (const host of next) {
      if (client.watched.has(host)) continue;
      client.watched.add(host);
      // Unknown hosts are watched anyway: the agent may connect in a moment.
      if (!this.knowsHost(host)) unknown.push(host);
      stops.set(host, this.bus.watch(host, client));
    }
    return unknown;
  }

  laggingUiClients(): number {
    let n = 0;
    for (const c of this.uiClients) if (c.lagging) n += 1;
    return n;
  }
}

function rankOf(h: HostSummary): number {
  return h.status === 'online' ? 2 : h.status === 'lagging' ? 1 : 0;
}

/** `a` describes the host better than `b`: it has its agent, or it saw it last. */
function preferSummary(a: HostSummary, b: HostSummary): boolean {
  if (rankOf(a) !== rankOf(b)) return rankOf(a) > rankOf(b);
  return (a.lastSeen ?? 0) > (b.lastSeen ?? 0);
}
