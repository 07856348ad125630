import type { Topology } from '@hopwatch/shared';
import { uiSampleFrame } from '../ws/uiClient.ts';

/** Where a watched host's live frames go (one per browser and host; UiClient in practice). */
export interface LiveSink {
  topology(host: string, frame: Buffer): void;
  sample(host: string, json: string, frame: Buffer): void;
}

/** What a newly watched host shows at once: its topology and latest sample, when known. */
export interface LiveState {
  topology: { t: number; topology: Topology } | null;
  latest: { t: number; json: string } | null;
}

/**
 * The live seam: a host's frames from whoever holds its agent to every browser watching it. The
 * embedded implementation is in-process (InProcessBus); a fleet publishes on NATS subjects, and
 * only while some browser anywhere watches the host (a watch lease answered by the owner).
 */
export interface Bus {
  /** Some browser watches `host`: only then is a frame worth building. */
  watched(host: string): boolean;
  publishTopology(host: string, t: number, topology: Topology): void;
  publishSample(host: string, json: string): void;
  /**
   * From now on `sink` gets `host`'s frames; first its current state (from the owner, which may
   * be another replica). Returns the unsubscribe.
   */
  watch(host: string, sink: LiveSink): () => void;
  /** Hosts watched from this process (tests: nothing is kept for hosts nobody watches). */
  watchedHosts(): string[];
  close(): Promise<void>;
}

export function topologyFrame(host: string, t: number, topology: Topology): Buffer {
  return Buffer.from(JSON.stringify({ type: 'topology', host, t, topology }));
}

/** One process: browsers and agents meet in a map of watchers. */
export class InProcessBus implements Bus {
  private readonly watchers = new Map<string, Set<LiveSink>>();

  /** `current`: the state of a host this process holds (HubCore's). */
  constructor(private readonly current: (host: string) => LiveState | null) {}

  watched(host: string): boolean {
    return (this.watchers.get(host)?.size ?? 0) > 0;
  }

  publishTopology(host: string, t: number, topology: Topology): void {
    const sinks = this.watchers.get(host);
    if (!sinks || sinks.size === 0) return;
    // Built when someone watches, not kept: a 1000-interface topology is ~0.5 MB of JSON, and
    // keeping one per host cost 100 MB at 200 hosts (bench:hub).
    const frame = topologyFrame(host, t, topology);
    for (const s of sinks) s.topology(host, frame);
  }

  publishSample(host: string, json: string): void {
    const sinks = this.watchers.get(host);
    if (!sinks || sinks.size === 0) return;
    // Encoded once, sent to every browser watching this host.
    const frame = uiSampleFrame(host, 1, json);
    for (const s of sinks) s.sample(host, json, frame);
  }

  watch(host: string, sink: LiveSink): () => void {
    let set = this.watchers.get(host);
    if (!set) {
      set = new Set();
      this.watchers.set(host, set);
    }
    set.add(sink);
    const state = this.current(host);
    if (state?.topology) sink.topology(host, topologyFrame(host, state.topology.t, state.topology.topology));
    if (state?.latest) sink.sample(host, state.latest.json, uiSampleFrame(host, 1, state.latest.json));
    return () => {
      const s = this.watchers.get(host);
      if (!s) return;
      s.delete(sink);
      // Empty sets go: names a browser watched (unknown ones too) must not accumulate forever.
      if (s.size === 0) this.watchers.delete(host);
    };
  }

  watchedHosts(): string[] {
    return [...this.watchers.keys()];
  }

  /** Frames that came from elsewhere (a fleet replica owning the host), to this process's sinks. */
  deliverTopology(host: string, frame: Buffer): void {
    for (const s of this.watchers.get(host) ?? []) s.topology(host, frame);
  }

  deliverSample(host: string, json: string): void {
    const sinks = this.watchers.get(host);
    if (!sinks || sinks.size === 0) return;
    const frame = uiSampleFrame(host, 1, json);
    for (const s of sinks) s.sample(host, json, frame);
  }

  async close(): Promise<void> {
    this.watchers.clear();
  }
}
