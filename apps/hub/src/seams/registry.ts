import type { HostSummary } from '@hopwatch/shared';

/** A connected agent as the host-name lease sees it (ws/agentSession.ts makes one per socket). */
export interface AgentLease {
  readonly instance: string;
  readonly remote: string;
  readonly intervalMs: number;
  /** Hub clock of the agent's last frame. */
  lastFrameAt(): number;
  isOpen(): boolean;
  /** Close the agent's socket: another connection took its host name. */
  revoke(code: number, reason: string): void;
}

/** A connected agent that sent no sample for this many intervals shows as lagging. */
export const LAGGING_AFTER_INTERVALS = 3;

/**
 * The registry seam: who holds each host name (the duplicate-host lease) and every host's status
 * for the host list. Embedded: a map in this process (InProcessRegistry). A fleet keeps both in
 * NATS KV buckets, the lease taken with compare-and-set, the statuses watched by every replica.
 */
export interface Registry {
  /**
   * Take `host` for this agent, or say why not (a sentence for the agent's close reason). The
   * same instance reconnecting, or anyone once the holder has been silent for
   * max(LAGGING_AFTER_INTERVALS × its interval, goneAfterMs), replaces the holder (revoked).
   */
  claim(host: string, lease: AgentLease, goneAfterMs: number): Promise<string | null>;
  /** The agent's socket closed; a no-op when another lease already replaced it. */
  release(host: string, lease: AgentLease): void;
  /** The status of the hosts this process holds or recorded, for every other replica. */
  publish(summaries: readonly HostSummary[]): void;
  /** Hosts whose status another replica published (none in one process). */
  remote(): HostSummary[];
  close(): Promise<void>;
}

/** The lease decision, shared by every implementation: null when `holder` may be replaced. */
export function leaseRefusal(
  host: string,
  holder: { instance: string; remote: string; intervalMs: number; silentMs: number; open: boolean },
  claimant: AgentLease,
  goneAfterMs: number,
): string | null {
  if (!holder.open) return null;
  const goneAfter = Math.max(LAGGING_AFTER_INTERVALS * holder.intervalMs, goneAfterMs);
  if (holder.instance !== claimant.instance && holder.silentMs < goneAfter)
    return `host "${host}" is already connected from ${holder.remote}; give this agent another --name`;
  return null;
}

/** One process: the lease is the holder's own socket. */
export class InProcessRegistry implements Registry {
  private readonly holders = new Map<string, AgentLease>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(host: string, lease: AgentLease, goneAfterMs: number): Promise<string | null> {
    const cur = this.holders.get(host);
    if (cur && cur !== lease) {
      const refusal = leaseRefusal(
        host,
        {
          instance: cur.instance,
          remote: cur.remote,
          intervalMs: cur.intervalMs,
          silentMs: this.now() - cur.lastFrameAt(),
          open: cur.isOpen(),
        },
        lease,
        goneAfterMs,
      );
      if (refusal) return refusal;
      if (cur.isOpen()) cur.revoke(4003, 'replaced by a newer connection for this host');
    }
    this.holders.set(host, lease);
    return null;
  }

  release(host: string, lease: AgentLease): void {
    if (this.holders.get(host) === lease) this.holders.delete(host);
  }

  publish(): void {}

  remote(): HostSummary[] {
    return [];
  }

  async close(): Promise<void> {
    this.holders.clear();
  }
}
