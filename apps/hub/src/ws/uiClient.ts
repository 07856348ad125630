import { mergeSamples, type Sample } from '@hopwatch/shared';
import type { WebSocket } from 'ws';
import type { LiveSink } from '../seams/bus.ts';
import type { HubCounters } from '../state/counters.ts';

/**
 * Above this many bytes queued on a browser's socket the browser counts as slow: it is sent the
 * latest state, not every frame. One 1000-interface sample frame is ~45 KB, so this is a few
 * seconds of one busy host; the socket's memory stays under it plus one frame per watched host.
 */
export const UI_MAX_BUFFERED_BYTES = 1024 * 1024;

interface Pending {
  topology: Buffer | null;
  sample: Sample | null;
  merged: number;
}

/** A sample frame, built by concatenation so the sample's JSON is made once for every browser. */
export function uiSampleFrame(host: string, merged: number, sampleJson: string): Buffer {
  return Buffer.from(
    `{"type":"sample","host":${JSON.stringify(host)},"merged":${merged},"sample":${sampleJson}}`,
  );
}

/**
 * One browser. Frames go straight out while the socket keeps up; while it does not, each watched
 * host keeps one pending topology and one pending sample that absorbs newer samples through
 * `mergeSamples` (counting them in `merged`), and `drain()` sends them when the socket has room.
 * Memory per slow browser is therefore bounded by the hosts it watches, never by time.
 */
export class UiClient implements LiveSink {
  readonly watched = new Set<string>();
  /** Cleared at each heartbeat ping, set by the pong; a browser that stops answering is terminated. */
  alive = true;
  private readonly pending = new Map<string, Pending>();
  private pendingHosts: Buffer | null = null;
  /**
   * Sample frames as WebSocket binary frames (the same UTF-8 JSON), as the browser's last
   * subscribe asked: its page hands them to the judge worker without a copy or a decode.
   */
  binarySamples = false;

  constructor(
    readonly ws: WebSocket,
    private readonly counters: HubCounters,
  ) {}

  private canSend(): boolean {
    return this.ws.readyState === this.ws.OPEN && this.ws.bufferedAmount <= UI_MAX_BUFFERED_BYTES;
  }

  get lagging(): boolean {
    return (
      this.pending.size > 0 || this.pendingHosts !== null || this.ws.bufferedAmount > UI_MAX_BUFFERED_BYTES
    );
  }

  private slot(host: string): Pending {
    let p = this.pending.get(host);
    if (!p) {
      p = { topology: null, sample: null, merged: 0 };
      this.pending.set(host, p);
    }
    return p;
  }

  send(frame: Buffer | string, binary = false): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(frame, { binary });
  }

  /**
   * An answer to the browser (pong, error): through the same send-buffer check as data, so a
   * browser that sends without reading cannot make the hub queue answers without bound. Over
   * the limit the answer is dropped (a pong it will not read anyway); false then.
   */
  reply(frame: string): boolean {
    if (!this.canSend()) {
      this.counters.reject('ui_reply_dropped');
      return false;
    }
    this.send(frame);
    return true;
  }

  sendHosts(frame: Buffer): void {
    if (this.pendingHosts === null && this.canSend()) this.send(frame);
    else this.pendingHosts = frame;
  }

  sendTopology(host: string, frame: Buffer): void {
    if (!this.pending.has(host) && this.canSend()) {
      this.send(frame);
      return;
    }
    // A topology replaces whatever was pending: samples before it describe interfaces that
    // may no longer exist, and the browser redraws from the topology anyway.
    const p = this.slot(host);
    p.topology = frame;
    p.sample = null;
    p.merged = 0;
  }

  /** `json` is the sample's JSON text; it is parsed only when it has to be merged. */
  sendSample(host: string, json: string, frame: Buffer): void {
    if (!this.pending.has(host) && this.canSend()) {
      this.send(frame, this.binarySamples);
      this.counters.uiSamplesSent += 1;
      return;
    }
    const p = this.slot(host);
    const sample = JSON.parse(json) as Sample;
    p.sample = p.sample ? mergeSamples([p.sample, sample]) : sample;
    p.merged += 1;
    this.counters.uiSamplesMerged += 1;
  }

  /** Called on a short timer: sends what is pending once the socket has room again. */
  drain(): void {
    if ((this.pending.size === 0 && this.pendingHosts === null) || !this.canSend()) return;
    if (this.pendingHosts) {
      this.send(this.pendingHosts);
      this.pendingHosts = null;
    }
    for (const [host, p] of this.pending) {
      if (p.topology) this.send(p.topology);
      if (p.sample) {
        this.send(uiSampleFrame(host, p.merged, JSON.stringify(p.sample)), this.binarySamples);
        this.counters.uiSamplesSent += 1;
        // Counted as merged when folded in; the one actually sent is not a merge.
        this.counters.uiSamplesMerged -= 1;
      }
    }
    this.pending.clear();
  }

  // LiveSink: what the Bus delivers for a watched host.
  topology(host: string, frame: Buffer): void {
    this.sendTopology(host, frame);
  }

  sample(host: string, json: string, frame: Buffer): void {
    this.sendSample(host, json, frame);
  }

  unwatch(host: string): void {
    this.watched.delete(host);
    this.pending.delete(host);
  }
}
