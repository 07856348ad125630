import { type JetStreamManager, RetentionPolicy, StorageType, type StreamConfig } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { FleetNames } from './connect.ts';

/** Chunks published again within this window (a retry, a backfill after failover) are dropped by id. */
export const DEDUP_WINDOW_MS = 15 * 60_000;

export interface StreamSizing {
  retentionMs: number;
  retentionBytes: number;
  replicas: number;
}

/**
 * The fleet's three streams. Chunks: a subject per host, `max_age` = retention, `max_bytes`, the
 * oldest going first, de-duplicated by `Nats-Msg-Id` = host + chunk start. Topologies: a subject
 * per host, only changes (the latest is published again hourly so it outlives the age limit).
 * Summaries: one message per host and hour (`max_msgs_per_subject: 1`), the hour's chunk
 * summaries so far, read by the timeline without touching a chunk. Created or brought up to
 * this configuration on start; direct get allowed (reads served by any replica).
 */
export function streamConfigs(
  names: FleetNames,
  z: StreamSizing,
): (Partial<StreamConfig> & { name: string })[] {
  const common: Partial<StreamConfig> = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: z.replicas,
    max_age: nanos(z.retentionMs),
    allow_direct: true,
  };
  return [
    {
      ...common,
      name: names.chunkStream,
      subjects: [names.chunkWildcard],
      max_bytes: z.retentionBytes,
      duplicate_window: nanos(DEDUP_WINDOW_MS),
    },
    {
      ...common,
      name: names.topoStream,
      subjects: [names.topoWildcard],
      duplicate_window: nanos(DEDUP_WINDOW_MS),
    },
    { ...common, name: names.summaryStream, subjects: [names.summaryWildcard], max_msgs_per_subject: 1 },
  ];
}

/** A cluster that just started (or lost a node) elects its JetStream leaders in seconds. */
const JETSTREAM_READY_MS = 30_000;

/**
 * A read that met the cluster mid-change (a scan whose pending messages did not come, a stream
 * that moved under an index): worth asking again, like an election, within the caller's wait.
 */
export class JetStreamRace extends Error {
  readonly retryable = true;
}

/**
 * What whenJetStreamReady throws once its wait is over and the cluster still says "not now":
 * the hub answers it 503 with Retry-After (http/errors.ts), not 500 — the store is down, not broken.
 */
export class JetStreamUnavailable extends Error {
  readonly status = 503;
  readonly expose = true;
}

/**
 * Retries what the cluster refuses while it forms ("no suitable peers", "JetStream not
 * available"): a replica started with its NATS cluster must not die of the order they came up in.
 */
export async function whenJetStreamReady<T>(
  what: string,
  fn: () => Promise<T>,
  timeoutMs = JETSTREAM_READY_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      const message = `NATS JetStream: ${what}: ${(e as Error).message}`;
      if (!isTransient(e)) throw new Error(message, { cause: e });
      if (Date.now() > deadline)
        throw new JetStreamUnavailable(`${message} (still so after ${timeoutMs / 1000} s)`, { cause: e });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * An answer that means "not now" (a node down, a leader being elected, a reconnect under way),
 * as opposed to one about the data (a compare-and-set that lost: "wrong last sequence"). The
 * server's own words for a cluster mid-election: 10008 "JetStream system temporarily
 * unavailable" (answered 503), 10009 "JetStream cluster can not handle request", "stream is
 * offline"; a consumer's fetch whose server went away: "idle heartbeats missed".
 */
export function isTransient(e: unknown): boolean {
  const err = e as { message?: unknown; status?: unknown; retryable?: unknown } | null;
  if (err?.retryable === true || err?.status === 503) return true;
  return /peers|not available|unavailable|offline|can ?not handle|not enabled|no responders|timeout|timed out|leader|heartbeat|disconnect|closed|reconnect/i.test(
    typeof err?.message === 'string' ? err.message : '',
  );
}

export async function ensureStreams(
  jsm: JetStreamManager,
  names: FleetNames,
  z: StreamSizing,
): Promise<void> {
  for (const cfg of streamConfigs(names, z))
    await whenJetStreamReady(`stream ${cfg.name}`, async () => {
      const exists = await jsm.streams.info(cfg.name).then(
        () => true,
        () => false,
      );
      if (!exists) await jsm.streams.add(cfg);
      else {
        // Replicas stay as the stream was made (changing them is an operator's decision);
        // everything else (retention) follows the flags.
        const { num_replicas: _, ...rest } = cfg;
        await jsm.streams.update(cfg.name, rest);
      }
    });
}
