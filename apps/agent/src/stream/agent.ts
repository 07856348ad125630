import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentMessage } from '@hopwatch/shared';
import { PROTOCOL_VERSION } from '@hopwatch/shared/protocol/constants';
import type { Keyframe, Sample, Topology } from '@hopwatch/shared';
import { createAgentCollector } from '../collector.ts';
import type { AgentOptions, ResolvedOptions } from '../options.ts';
import { HubConnection, type HubStatus, type HubTls } from './connection.ts';
import { SampleRing } from './ring.ts';
import { fullGc } from '../util/full-gc.ts';

export interface AgentHandle {
  status(): 'connecting' | 'online' | 'offline' | 'error';
  stop(): Promise<void>;
}

export const AGENT_VERSION = '0.1.0';
/** Keep this much history for the hub to backfill after an outage or a hub restart. */
export const RING_SECONDS = 600;
/** ...but never more than this many bytes of frames (1000 busy interfaces ≈ 60 KB a sample). */
export const RING_MAX_BYTES = 24 * 1024 * 1024;
/**
 * While the hub is there, the ring keeps only this much of the past: a hub that restarts has
 * lost at most its open chunk (10 s, apps/hub) and the writes queued behind it, and says in
 * `welcome.lastT` where to resume. The ten minutes are for the hub being away: kept whole from
 * the moment it goes. (Kept ten minutes always, the ring was most of the agent's memory: RSS
 * 59 -> 66 MB over 8 minutes of bench:agent, 15 KB a sample.)
 */
export const ONLINE_KEEP_MS = 60_000;
/** Absolute totals every this many samples, and on every (re)connect. */
export const KEYFRAME_EVERY_SAMPLES = 60;

/**
 * The streaming agent: one collector sampling at the interval whether or not the hub is there,
 * every sample framed once and kept in a bounded ring; when online, frames go out as they are
 * made; after a (re)connect the hub's `welcome.lastT` says which ring entries to backfill.
 */
export async function startAgent(
  opts: AgentOptions & { hub: string; token?: string | null; tls?: HubTls },
): Promise<AgentHandle> {
  const collector = await createAgentCollector(opts);
  // The start (probes, holders, the baseline) is the agent's memory peak: give it back now
  // rather than carry it for the agent's life (SPEC MEM1).
  fullGc();
  return streamFrom(collector, opts.hub, opts.token ?? null, opts.tls);
}

/** What the streaming agent needs from a collector (AgentCollector; a fake in tests). */
export interface SampleSource {
  readonly opts: Pick<ResolvedOptions, 'host' | 'intervalMs' | 'log'>;
  readonly tracingState: 'on' | 'off' | 'unavailable';
  readonly topologyVersion: number;
  topology(): Topology;
  sample(): Promise<Sample>;
  keyframe(): Keyframe;
  /** keyframe() already as JSON (the collector writes it without the objects: SPEC CTR8). */
  keyframeJson?(): string;
  close(): Promise<void>;
}

export function streamFrom(
  source: SampleSource,
  hub: string,
  token: string | null,
  tls: HubTls = {},
  onlineKeepMs = ONLINE_KEEP_MS,
): AgentHandle {
  const agent = new StreamingAgent(source, hub, token, tls, onlineKeepMs);
  agent.start();
  return agent;
}

/**
 * A sample message around an already serialised sample: the ring keeps each sample's JSON once
 * and it is sent live or as backfill without serialising it again. Same shape as
 * AgentSampleSchema (type, seq, backfill, sample).
 */
export function sampleFrame(seq: number, backfill: boolean, sampleJson: string): string {
  return `{"type":"sample","seq":${seq},"backfill":${backfill},"sample":${sampleJson}}`;
}

class StreamingAgent implements AgentHandle {
  private readonly conn: HubConnection;
  private readonly ring: SampleRing;
  private readonly instance = randomUUID();
  private seq = 0;
  private sentTopology = -1;
  private samplesSinceKeyframe = 0;
  private readonly abort = new AbortController();
  private loop: Promise<void> | null = null;

  constructor(
    private readonly collector: SampleSource,
    hub: string,
    token: string | null,
    tls: HubTls,
    private readonly onlineKeepMs: number,
  ) {
    const { intervalMs, log } = collector.opts;
    this.ring = new SampleRing(Math.ceil((RING_SECONDS * 1000) / intervalMs), RING_MAX_BYTES);
    this.conn = new HubConnection(
      hub,
      token,
      { hello: () => this.frame(this.hello()), onWelcome: (lastT) => this.onWelcome(lastT) },
      log,
      tls,
    );
  }

  status(): HubStatus {
    return this.conn.status();
  }

  start(): void {
    this.conn.start();
    this.loop = this.run();
  }

  private hello(): AgentMessage {
    return {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      host: this.collector.opts.host,
      agentVersion: AGENT_VERSION,
      instance: this.instance,
      intervalMs: this.collector.opts.intervalMs,
      tracing: this.collector.tracingState,
    };
  }

  private frame(msg: AgentMessage): string {
    return JSON.stringify(msg);
  }

  private onWelcome(lastT: number | null): void {
    this.sendTopology(true);
    this.sendKeyframe();
    const backlog = this.ring.since(lastT);
    for (const entry of backlog) {
      // Same seq as when it was first sent: the hub may dedupe on it.
      if (!this.conn.send(sampleFrame(entry.seq, true, entry.frame))) return;
    }
    if (backlog.length > 0)
      this.collector.opts.log('info', `backfilled ${backlog.length} samples to the hub`);
  }

  private sendTopology(force: boolean): void {
    const version = this.collector.topologyVersion;
    if (!force && version === this.sentTopology) return;
    const sent = this.conn.send(
      this.frame({ type: 'topology', seq: this.seq++, t: Date.now(), topology: this.collector.topology() }),
    );
    if (sent) this.sentTopology = version;
  }

  private sendKeyframe(): void {
    this.samplesSinceKeyframe = 0;
    const seq = this.seq++;
    const json = this.collector.keyframeJson?.() ?? JSON.stringify(this.collector.keyframe());
    // Same document as frame({ type: 'keyframe', seq, keyframe }).
    this.conn.send(`{"type":"keyframe","seq":${seq},"keyframe":${json}}`);
  }

  private async run(): Promise<void> {
    const { intervalMs, log } = this.collector.opts;
    const signal = this.abort.signal;
    let due = performance.now();
    while (!signal.aborted) {
      due += intervalMs;
      const wait = due - performance.now();
      if (wait < 0) due = performance.now(); // a slow sample: skip ahead rather than burst
      await sleep(Math.max(0, wait), undefined, { signal }).catch(() => {});
      if (signal.aborted) break;
      try {
        const sample = await this.collector.sample();
        this.sendTopology(false);
        const json = JSON.stringify(sample);
        const seq = this.seq++;
        this.ring.push({ t: sample.t, seq, frame: json });
        if (this.conn.status() === 'online') this.ring.dropUntil(sample.t - this.onlineKeepMs);
        this.conn.send(sampleFrame(seq, false, json));
        if (++this.samplesSinceKeyframe >= KEYFRAME_EVERY_SAMPLES) this.sendKeyframe();
      } catch (e) {
        if (signal.aborted) break;
        log('error', `sampling failed: ${(e as Error).message}; trying again next interval`);
      }
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await this.conn.stop();
    await this.collector.close();
  }
}
