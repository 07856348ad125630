import { randomUUID } from 'node:crypto';
import type { Topology } from '@hopwatch/shared';
import { headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { type Bus, InProcessBus, type LiveSink, type LiveState, topologyFrame } from '../seams/bus.ts';
import { uiSampleFrame } from '../ws/uiClient.ts';
import { type FleetNames, hostOfToken } from './connect.ts';

/** A watcher renews its lease this often; the owner publishes while the lease is younger than LEASE_MS. */
export const WATCH_RENEW_MS = 2_000;
const LEASE_FACTOR = 3;
const WATCH_REQUEST_TIMEOUT_MS = 2_000;
/** Names the replica asking for a lease: an owner never leases its own watchers (FLEET8). */
const FROM_HEADER = 'Hw-From';

interface RemoteWatch {
  sub: Subscription;
  timer: NodeJS.Timeout;
  /** The last lease request was answered by another replica, which sends the frames now. */
  leased: boolean;
}

/**
 * Live frames across a fleet. Browsers and the agent of a host on the same replica meet in
 * process, as on one hub. Every host watched from this replica also has a remote watch: a
 * subscription to the host's live subject and a lease request on its watch subject every
 * WATCH_RENEW_MS, both idle while this replica holds the host's agent itself (its frames reach
 * the browsers in process; leasing itself would send every frame twice, FLEET8) and taking over
 * the moment the agent moves to another replica (FLEET9). The replica holding the agent (the
 * owner) answers a first request with the host's current state and publishes the host's frames
 * only while a lease is fresh, so an unwatched host costs NATS nothing.
 */
export class NatsBus implements Bus {
  private readonly local: InProcessBus;
  private readonly remote = new Map<string, RemoteWatch>();
  /** Owner side: hosts another replica watches, until when. */
  private readonly leases = new Map<string, number>();
  private readonly watchSub: Subscription;
  private readonly id = randomUUID();
  private readonly renewMs: number;

  constructor(
    private readonly nc: NatsConnection,
    private readonly names: FleetNames,
    /** The live state of a host whose agent this replica holds, else null. */
    private readonly owned: (host: string) => LiveState | null,
    private readonly now: () => number = Date.now,
    opts: { renewMs?: number } = {},
  ) {
    this.renewMs = opts.renewMs ?? WATCH_RENEW_MS;
    this.local = new InProcessBus((host) => this.owned(host));
    this.watchSub = nc.subscribe(names.watchWildcard, {
      callback: (err, msg) => {
        if (err || msg.headers?.get(FROM_HEADER) === this.id) return;
        const host = hostOfToken(msg.subject.split('.').at(-1) ?? '');
        const state = this.owned(host);
        if (!state) return; // not ours: the owner answers
        this.leases.set(host, this.now() + LEASE_FACTOR * this.renewMs);
        const first = msg.string() === 'first';
        msg.respond(first ? Buffer.from(JSON.stringify(state)) : Buffer.from('{}'));
      },
    });
  }

  private remoteWatched(host: string): boolean {
    const until = this.leases.get(host);
    if (until === undefined) return false;
    if (until >= this.now()) return true;
    this.leases.delete(host);
    return false;
  }

  watched(host: string): boolean {
    return this.local.watched(host) || this.remoteWatched(host);
  }

  publishTopology(host: string, t: number, topology: Topology): void {
    this.local.publishTopology(host, t, topology);
    if (!this.remoteWatched(host)) return;
    const h = headers();
    h.set('Hw-Type', 'topology');
    this.nc.publish(this.names.live(host), topologyFrame(host, t, topology), { headers: h });
  }

  publishSample(host: string, json: string): void {
    this.local.publishSample(host, json);
    if (!this.remoteWatched(host)) return;
    const h = headers();
    h.set('Hw-Type', 'sample');
    this.nc.publish(this.names.live(host), json, { headers: h });
  }

  watch(host: string, sink: LiveSink): () => void {
    const stopLocal = this.local.watch(host, sink);
    if (!this.remote.has(host)) this.watchRemote(host);
    // A second browser of a host another replica holds gets the host's state from that replica.
    if (!this.owned(host)) {
      // This watch's remote: if it stops and another starts before the answer, that one's lease
      // is its own to earn.
      const r = this.remote.get(host);
      void this.ask(host, (state) => this.deliverState(host, state, sink)).then((answered) => {
        if (r && answered && this.remote.get(host) === r) r.leased = true;
      });
    }
    return () => {
      stopLocal();
      if (this.local.watched(host)) return;
      const r = this.remote.get(host);
      if (!r) return;
      clearInterval(r.timer);
      r.sub.unsubscribe();
      this.remote.delete(host);
    };
  }

  private watchRemote(host: string): void {
    const sub = this.nc.subscribe(this.names.live(host), {
      callback: (err, msg) => {
        // Held here: the frames reach the browsers in process (a stale former owner's too).
        if (err || this.owned(host)) return;
        const type = msg.headers?.get('Hw-Type');
        if (type === 'sample') this.local.deliverSample(host, msg.string());
        else if (type === 'topology') this.local.deliverTopology(host, Buffer.from(msg.data));
      },
    });
    const timer = setInterval(() => void this.renew(host), this.renewMs);
    timer.unref();
    this.remote.set(host, { sub, timer, leased: false });
  }

  private deliverState(host: string, state: LiveState, sink?: LiveSink): void {
    if (state.topology) {
      const frame = topologyFrame(host, state.topology.t, state.topology.topology);
      if (sink) sink.topology(host, frame);
      else this.local.deliverTopology(host, frame);
    }
    if (state.latest) {
      if (sink) sink.sample(host, state.latest.json, uiSampleFrame(host, 1, state.latest.json));
      else this.local.deliverSample(host, state.latest.json);
    }
  }

  /** A lease request; `first` asks for the host's state too. Resolves whether an owner answered. */
  private async ask(host: string, onState?: (s: LiveState) => void): Promise<boolean> {
    const h = headers();
    h.set(FROM_HEADER, this.id);
    try {
      const reply = await this.nc.request(this.names.watch(host), onState ? 'first' : 'renew', {
        timeout: WATCH_REQUEST_TIMEOUT_MS,
        headers: h,
      });
      if (onState) onState(reply.json<LiveState>());
      return true;
    } catch {
      // No replica holds the host's agent now: its frames start when one does (renew asks again).
      return false;
    }
  }

  private async renew(host: string): Promise<void> {
    const r = this.remote.get(host);
    if (!r) return;
    if (this.owned(host)) {
      r.leased = false;
      return;
    }
    // Not leased until now (the host was held here, or by nobody): the new owner's state first,
    // to every browser here, so the map is the owner's from its first frame on.
    const answered = r.leased
      ? await this.ask(host)
      : await this.ask(host, (state) => this.deliverState(host, state));
    if (this.remote.get(host) === r) r.leased = answered;
  }

  watchedHosts(): string[] {
    return this.local.watchedHosts();
  }

  async close(): Promise<void> {
    for (const r of this.remote.values()) {
      clearInterval(r.timer);
      r.sub.unsubscribe();
    }
    this.remote.clear();
    this.watchSub.unsubscribe();
    await this.local.close();
  }
}
