import type { HostSummary } from '@hopwatch/shared';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';
import { type AgentLease, leaseRefusal, type Registry } from '../seams/registry.ts';
import { type FleetNames, subjectToken } from './connect.ts';
import { isTransient, whenJetStreamReady } from './streams.ts';

/** How long a claim waits out a NATS outage before the agent is told to reconnect. */
const CLAIM_WAIT_MS = 10_000;

/** Owners renew their leases and statuses this often (the host list's own cadence). */
export const RENEW_MS = 2_000;
/** A status not renewed for this long comes from a replica that is gone: its agents are lost too. */
export const STATUS_STALE_MS = 5 * RENEW_MS;
/**
 * An unchanged status is put again this often (its `at` is the replica's heartbeat): every other
 * host-list tick, well inside STATUS_STALE_MS even when a tick comes late.
 */
export const STATUS_HEARTBEAT_MS = 1.5 * RENEW_MS;
/** Statuses of hosts nobody reports any more leave the bucket after this (a lost host stays a day). */
const STATUS_TTL_MS = 24 * 3600_000;

interface LeaseValue {
  instance: string;
  replica: string;
  remote: string;
  intervalMs: number;
  /** Holder's clock of the agent's last frame (renewed every RENEW_MS). */
  lastFrameAt: number;
}

interface StatusValue {
  replica: string;
  at: number;
  summary: HostSummary;
}

interface Held {
  lease: AgentLease;
  revision: number;
}

/**
 * Who holds each host and every host's status, in two KV buckets. The lease is taken with
 * compare-and-set (create, or update at the revision read), so two replicas racing for one host
 * name cannot both win; the holder renews it with the agent's last-frame time, and a renewal that
 * finds another revision means another replica took the host: the local agent is told so (4003).
 * Statuses: each replica puts its own hosts' every RENEW_MS and watches the bucket for the rest.
 */
export class NatsRegistry implements Registry {
  private readonly held = new Map<string, Held>();
  /** Hosts this replica held, until their "lost" status has been put once. */
  private readonly released = new Set<string>();
  private readonly others = new Map<string, StatusValue>();
  private readonly timer: NodeJS.Timeout;
  private lastPublish = 0;
  /** Per host, what was put last (its summary without lastSeen) and when. */
  private readonly lastPut = new Map<string, { key: string; at: number }>();

  private constructor(
    private readonly leases: KV,
    private readonly statuses: KV,
    private readonly replica: string,
    private readonly log: Logger,
    private readonly now: () => number,
    /** The replica stopped holding `host` (its agent left, or another replica took it). */
    private readonly onLost: (host: string) => void,
  ) {
    this.timer = setInterval(() => void this.renew(), RENEW_MS);
    this.timer.unref();
  }

  static async open(
    nc: NatsConnection,
    names: FleetNames,
    opts: {
      replica: string;
      replicas: number;
      log: Logger;
      now?: () => number;
      onLost?: (host: string) => void;
    },
  ): Promise<NatsRegistry> {
    const kvm = new Kvm(nc);
    const leases = await whenJetStreamReady(`bucket ${names.leaseBucket}`, () =>
      kvm.create(names.leaseBucket, { history: 1, replicas: opts.replicas }),
    );
    const statuses = await whenJetStreamReady(`bucket ${names.statusBucket}`, () =>
      kvm.create(names.statusBucket, { history: 1, replicas: opts.replicas, ttl: STATUS_TTL_MS }),
    );
    const reg = new NatsRegistry(
      leases,
      statuses,
      opts.replica,
      opts.log,
      opts.now ?? Date.now,
      opts.onLost ?? (() => {}),
    );
    await reg.watchStatuses();
    return reg;
  }

  private async watchStatuses(): Promise<void> {
    const it = await this.statuses.watch();
    void (async () => {
      for await (const e of it) {
        if (e.operation !== 'PUT') {
          for (const [host, v] of this.others)
            if (subjectToken(host) === e.key) this.others.delete(v.summary.host);
          continue;
        }
        try {
          // Another replica's (or another version's) value: only a well-formed status for the
          // host its key names is taken; anything else would break every host list.
          const v = e.json<StatusValue>();
          if (
            typeof v?.replica === 'string' &&
            typeof v.at === 'number' &&
            typeof v.summary?.host === 'string' &&
            subjectToken(v.summary.host) === e.key &&
            v.replica !== this.replica
          )
            this.others.set(v.summary.host, v);
        } catch {
          // not ours to read
        }
      }
    })();
  }

  async claim(host: string, lease: AgentLease, goneAfterMs: number): Promise<string | null> {
    const key = subjectToken(host);
    const mine: LeaseValue = {
      instance: lease.instance,
      replica: this.replica,
      remote: lease.remote,
      intervalMs: lease.intervalMs,
      lastFrameAt: lease.lastFrameAt(),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      const cur = await whenJetStreamReady(`lease of ${host}`, () => this.leases.get(key), CLAIM_WAIT_MS);
      const local = this.held.get(host);
      if (cur && cur.operation === 'PUT') {
        const v = cur.json<LeaseValue>();
        const holderHere = local && v.replica === this.replica ? local.lease : null;
        const refusal = leaseRefusal(
          host,
          {
            instance: v.instance,
            remote: v.replica === this.replica ? v.remote : `${v.remote} (hub ${v.replica})`,
            intervalMs: v.intervalMs,
            silentMs: this.now() - (holderHere ? holderHere.lastFrameAt() : v.lastFrameAt),
            open: holderHere ? holderHere.isOpen() : true,
          },
          lease,
          goneAfterMs,
        );
        if (refusal && holderHere !== lease) return refusal;
        try {
          const revision = await whenJetStreamReady(
            `lease of ${host}`,
            () => this.leases.update(key, JSON.stringify(mine), cur.revision),
            CLAIM_WAIT_MS,
          );
          if (holderHere && holderHere !== lease && holderHere.isOpen())
            holderHere.revoke(4003, 'replaced by a newer connection for this host');
          this.held.set(host, { lease, revision });
          this.released.delete(host);
          return null;
        } catch (e) {
          if (isTransient(e)) throw e;
          continue; // someone else wrote in between: read again
        }
      }
      try {
        const revision = await whenJetStreamReady(
          `lease of ${host}`,
          () => this.leases.create(key, JSON.stringify(mine)),
          CLAIM_WAIT_MS,
        );
        this.held.set(host, { lease, revision });
        this.released.delete(host);
        return null;
      } catch (e) {
        if (isTransient(e)) throw e;
        // created by another replica in between: read again
      }
    }
    return `host "${host}" is being claimed by another hub replica at the same moment; retrying later`;
  }

  release(host: string, lease: AgentLease): void {
    const h = this.held.get(host);
    if (!h || h.lease !== lease) return;
    this.held.delete(host);
    this.released.add(host);
    this.lastPut.delete(host);
    this.onLost(host);
    void this.leases.delete(subjectToken(host), { previousSeq: h.revision }).catch(() => {});
  }

  /** Renews every held lease; one that another replica took is revoked here. */
  private async renew(): Promise<void> {
    for (const [host, h] of [...this.held]) {
      const v: LeaseValue = {
        instance: h.lease.instance,
        replica: this.replica,
        remote: h.lease.remote,
        intervalMs: h.lease.intervalMs,
        lastFrameAt: h.lease.lastFrameAt(),
      };
      try {
        h.revision = await this.leases.update(subjectToken(host), JSON.stringify(v), h.revision);
      } catch (e) {
        // NATS unavailable (a node down, a leader election) is not a lost lease: keep the agent
        // and its data flowing, renew at the next tick.
        if (isTransient(e) || this.held.get(host) !== h) continue;
        const cur = await this.leases.get(subjectToken(host)).catch(() => undefined);
        if (cur === undefined) continue;
        const holder = cur?.operation === 'PUT' ? cur.json<LeaseValue>() : null;
        if (holder && holder.replica === this.replica && holder.instance === h.lease.instance) {
          h.revision = cur!.revision; // our own write whose answer was lost
          continue;
        }
        this.held.delete(host);
        this.lastPut.delete(host);
        this.onLost(host);
        this.log.warn(
          `fleet: host ${host} was taken by another hub replica${holder ? ` (${holder.replica})` : ''}`,
        );
        if (h.lease.isOpen()) h.lease.revoke(4003, 'this host name is held through another hub replica now');
      }
    }
  }

  publish(summaries: readonly HostSummary[]): void {
    // The host list's cadence, at most once per RENEW_MS: it is also the replicas' heartbeat.
    const t = this.now();
    if (t - this.lastPublish < RENEW_MS / 2) return;
    this.lastPublish = t;
    for (const s of summaries) {
      const mine = this.held.has(s.host);
      if (!mine && !this.released.has(s.host)) continue;
      if (!mine) this.released.delete(s.host);
      // Put only a change, or a heartbeat well inside STATUS_STALE_MS (issue 12: every status
      // every 2 s was a KV write per host per 2 s, read back by every replica).
      const key = JSON.stringify({ ...s, lastSeen: null });
      const last = this.lastPut.get(s.host);
      if (mine && last && last.key === key && t - last.at < STATUS_HEARTBEAT_MS) continue;
      this.lastPut.set(s.host, { key, at: t });
      if (!mine) this.lastPut.delete(s.host);
      const v: StatusValue = { replica: this.replica, at: t, summary: s };
      void this.statuses.put(subjectToken(s.host), JSON.stringify(v)).catch((e: Error) => {
        this.log.warn(`fleet: publishing the status of ${s.host}: ${e.message}`);
      });
    }
  }

  remote(): HostSummary[] {
    const t = this.now();
    return [...this.others.values()]
      .filter((v) => !this.held.has(v.summary.host))
      .map((v) =>
        // The replica that reported it stopped reporting: its agent's connection went with it.
        t - v.at > STATUS_STALE_MS && v.summary.status !== 'lost'
          ? { ...v.summary, status: 'lost' as const }
          : v.summary,
      );
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
  }
}
