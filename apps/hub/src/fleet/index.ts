import { hostname } from 'node:os';
import type { Logger } from '../log.ts';
import type { LiveState } from '../seams/bus.ts';
import { NatsBus } from './bus.ts';
import { connectNats, fleetNames, type NatsOptions, replicasFor } from './connect.ts';
import { type NatsRecording, openNatsRecording } from './recording.ts';
import { NatsRegistry } from './registry.ts';

export type { NatsOptions } from './connect.ts';

export interface FleetSeams {
  recording: NatsRecording;
  bus: NatsBus;
  registry: NatsRegistry;
  /** The hub's live state, once it exists: the bus answers watch leases from it. */
  bind(owned: (host: string) => LiveState | null): void;
  /** Publishes what is still open, waits for the acknowledgements, disconnects. */
  close(): Promise<void>;
}

/**
 * A hub replica's seams on NATS JetStream (`hopwatch hub --nats`): the recording in streams, live
 * frames on subjects while watched, hosts and their leases in KV buckets. `replica` names this
 * process in leases and statuses (default: host name and pid).
 */
export async function openFleet(
  nats: NatsOptions & { replica?: string },
  opts: { retentionMs: number; retentionBytes: number; chunkMs: number; log: Logger },
): Promise<FleetSeams> {
  const replica = nats.replica ?? `${hostname()}:${process.pid}`;
  const nc = await connectNats(nats, `hopwatch-hub ${replica}`);
  try {
    const names = fleetNames(nats.prefix);
    const replicas = replicasFor(nc, nats);
    const recording = await openNatsRecording(nc, names, { ...opts, replicas });
    const registry = await NatsRegistry.open(nc, names, {
      replica,
      replicas,
      log: opts.log,
      // What the recording kept as the host's owner goes with the host (a replica that lost it
      // must not publish its topology or hour summaries again).
      onLost: (host) => recording.disown(host),
    });
    let owned: (host: string) => LiveState | null = () => null;
    const bus = new NatsBus(nc, names, (host) => owned(host));
    opts.log.info(`fleet: replica ${replica} on NATS ${nats.servers.join(',')} (R${replicas})`);
    return {
      recording,
      bus,
      registry,
      bind(fn) {
        owned = fn;
      },
      async close() {
        await recording.drain();
        await nc.drain().catch(() => nc.close());
      },
    };
  } catch (e) {
    await nc.close();
    throw e;
  }
}
