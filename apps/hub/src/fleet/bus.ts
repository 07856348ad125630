import type { Topology } from '@hopwatch/shared';
import { headers, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { type Bus, InProcessBus, type LiveSink, type LiveState, topologyFrame } from '../seams/bus.ts';
import { uiSampleFrame } from '../ws/uiClient.ts';
import { type FleetNames, hostOfToken } from './connect.ts';

/** A watcher renews its lease this often; the owner publishes while the lease is younger than LEASE_MS. */
export const WATCH_RENEW_MS = 2_000;
const LEASE_MS = 3 * WATCH_RENEW_MS;
const WATCH_REQUEST_TIMEOUT_MS = 2_000;

interface RemoteWatch {
  sub: Subscription;
  timer: NodeJS.Timeout;
}

/**
 * Live frames across a fleet. Browsers and the agent of a host on the same replica meet in
 * process, as on one hub. A browser on another replica subscribes to the host's live subject and
 * asks for a watch lease on the watch subject, again every WATCH_RENEW_MS; the replica holding the
 * agent (the owner) answers the first request with the host's current state and publishes the
 * host's frames only while a lease is fresh, so an unwatched host costs NATS nothing.
 */
export class NatsBus implements Bus {
  private readonly local: InProcessBus;
  private readonly remote = new Map<string, RemoteWatch>();
  /** Owner side: hosts another replica watches, until when. */
  private readonly leases = new Map<string, number>();
  private readonly watchSub: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly names: FleetNames,
    /** The live state of a host whose agent this replica holds, else null. */
    private readonly owned: (host: string) => LiveState | null,
    private readonly now: () => number = Date.now,
  ) {
    this.local = new InProcessBus((host) => this.owned(host));
    this.watchSub = nc.subscribe(names.watchWildcard, {
      callback: (err, msg) => {
        if (err) return;
        const host = hostOfToken(msg.subject.split('.').at(-1) ?? '');
        const state = this.owned(host);
        if (!state) return; // not ours: the owner answers
        this.leases.set(host, this.now() + LEASE_MS);
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
    if (!this.owned(host) && !this.remote.has(host)) this.watchRemote(host, sink);
    else if (!this.owned(host)) void this.ask(host, sink);
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

  private watchRemote(host: string, sink: LiveSink): void {
    const sub = this.nc.subscribe(this.names.live(host), {
      callback: (err, msg) => {
        if (err) return;
        const type = msg.headers?.get('Hw-Type');
        if (type === 'sample') this.local.deliverSample(host, msg.string());
        else if (type === 'topology') this.local.deliverTopology(host, Buffer.from(msg.data));
      },
    });
    const timer = setInterval(() => void this.renew(host), WATCH_RENEW_MS);
    timer.unref();
    this.remote.set(host, { sub, timer });
    void this.ask(host, sink);
  }

  /** The first lease request: the owner answers with the host's state, for this sink. */
  private async ask(host: string, sink: LiveSink): Promise<void> {
    try {
      const reply = await this.nc.request(this.names.watch(host), 'first', {
        timeout: WATCH_REQUEST_TIMEOUT_MS,
      });
      const state = reply.json<LiveState>();
      if (state.topology) sink.topology(host, topologyFrame(host, state.topology.t, state.topology.topology));
      if (state.latest) sink.sample(host, state.latest.json, uiSampleFrame(host, 1, state.latest.json));
    } catch {
      // No replica holds the host's agent now: its frames start when one does (renew asks again).
    }
  }

  private async renew(host: string): Promise<void> {
    try {
      await this.nc.request(this.names.watch(host), 'renew', { timeout: WATCH_REQUEST_TIMEOUT_MS });
    } catch {
      // No owner now (its agent is reconnecting, or gone): asked again at the next renewal.
    }
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
