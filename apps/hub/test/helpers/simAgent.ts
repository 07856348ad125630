import { randomUUID } from 'node:crypto';
import { decodeHubToAgent, PROTOCOL_VERSION, type Sample, type Topology } from '@hopwatch/shared';
import WebSocket from 'ws';
import { makeSample, makeTopology, row } from './data.ts';

export const SIM_INTERVAL_MS = 250;

/**
 * An agent as the real one behaves across a failover: it samples on its own clock whether or
 * not it is connected, keeps what it sampled, and on each (re)connect — to the next hub in its
 * list, as behind a load balancer — says hello, sends its topology and backfills everything newer
 * than the welcome's lastT before going live again.
 */
export class SimAgent {
  readonly sent: Sample[] = [];
  readonly instance = randomUUID();
  connects = 0;
  private ws: WebSocket | null = null;
  private live = false;
  private next = 0;
  private stopped = false;
  private readonly tick: NodeJS.Timeout;
  private readonly topology: Topology;

  constructor(
    readonly host: string,
    private readonly hubs: () => string[],
    private readonly token: string,
  ) {
    this.topology = makeTopology(host);
    this.tick = setInterval(() => this.sample(), SIM_INTERVAL_MS);
    this.connect();
  }

  private sample(): void {
    const t = Math.floor(Date.now() / SIM_INTERVAL_MS) * SIM_INTERVAL_MS;
    if (this.sent.length > 0 && this.sent.at(-1)!.t >= t) return;
    const s = makeSample(
      t,
      { 'veth-a': row({ txPackets: 100 }), 'ns1/veth-b': row({ rxPackets: 100 }) },
      { elapsedMs: SIM_INTERVAL_MS },
    );
    this.sent.push(s);
    if (this.live) this.send({ type: 'sample', seq: 0, backfill: false, sample: s });
  }

  private send(m: object): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(m));
  }

  /** Connected and welcomed by the hub at this URL. */
  get connectedTo(): string | null {
    return this.live ? (this.ws?.url ?? null) : null;
  }

  private connect(): void {
    if (this.stopped) return;
    const list = this.hubs();
    const url = `${list[this.next++ % list.length]!.replace(/^http/, 'ws')}/ws/agent?protocol=1`;
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${this.token}` },
      perMessageDeflate: false,
    });
    this.ws = ws;
    ws.on('open', () =>
      ws.send(
        JSON.stringify({
          type: 'hello',
          protocol: PROTOCOL_VERSION,
          host: this.host,
          agentVersion: 'sim',
          instance: this.instance,
          intervalMs: SIM_INTERVAL_MS,
          tracing: 'on',
        }),
      ),
    );
    ws.on('message', (data) => {
      const r = decodeHubToAgent(data.toString());
      if (!r.ok || r.value.type !== 'welcome') return;
      const lastT = r.value.lastT ?? Number.NEGATIVE_INFINITY;
      this.connects += 1;
      this.send({ type: 'topology', seq: 0, t: this.sent[0]?.t ?? Date.now(), topology: this.topology });
      for (const s of this.sent)
        if (s.t > lastT) this.send({ type: 'sample', seq: 0, backfill: true, sample: s });
      this.live = true;
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      this.live = false;
      if (!this.stopped) setTimeout(() => this.connect(), 300);
    });
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.tick);
    this.ws?.terminate();
  }
}
