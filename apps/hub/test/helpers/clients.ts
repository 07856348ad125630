import { randomUUID } from 'node:crypto';
import {
  type AgentMessage,
  decodeHubToAgent,
  decodeHubToUi,
  type HubToAgentMessage,
  type HubToUiMessage,
  PROTOCOL_VERSION,
  type Sample,
  type Topology,
} from '@hopwatch/shared';
import WebSocket from 'ws';
import { TEST_ACCESS_TOKEN } from './auth.ts';

/** Resolves when `pred` holds for something in `list` (checked on every push), or rejects. */
function waiter<T>(list: T[], onPush: Set<() => void>) {
  return (pred: (m: T) => boolean, timeoutMs = 5000, what = 'message'): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = list.find(pred);
        if (hit === undefined) return false;
        onPush.delete(check);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        onPush.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      if (!check()) onPush.add(check);
    });
}

export interface Closed {
  code: number;
  reason: string;
}

/** A simulated agent speaking protocol 1; tests drive it frame by frame. */
export class FakeAgent {
  readonly received: HubToAgentMessage[] = [];
  readonly closed: Promise<Closed>;
  /** Set when the hub refused the upgrade with an HTTP status. */
  readonly refused: Promise<number>;
  readonly opened: Promise<void>;
  private readonly listeners = new Set<() => void>();
  private readonly ws: WebSocket;
  readonly waitFor: ReturnType<typeof waiter<HubToAgentMessage>>;
  seq = 0;

  constructor(
    hubUrl: string,
    readonly host: string,
    opts: { token?: string | null; protocol?: string | null; instance?: string } = {},
  ) {
    this.instance = opts.instance ?? randomUUID();
    const proto = opts.protocol === undefined ? String(PROTOCOL_VERSION) : opts.protocol;
    const url = `${hubUrl.replace(/^http/, 'ws')}/ws/agent${proto === null ? '' : `?protocol=${proto}`}`;
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    this.ws = new WebSocket(url, { headers, perMessageDeflate: false });
    this.waitFor = waiter(this.received, this.listeners);
    this.closed = new Promise((resolve) =>
      this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    this.refused = new Promise((resolve) =>
      this.ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    this.opened = new Promise((resolve) => this.ws.on('open', () => resolve()));
    this.ws.on('error', () => {});
    this.ws.on('message', (data) => {
      const r = decodeHubToAgent(data.toString());
      if (!r.ok) throw new Error(`hub sent a bad frame: ${r.error}`);
      this.received.push(r.value);
      for (const l of [...this.listeners]) l();
    });
  }

  readonly instance: string;

  send(msg: AgentMessage): void {
    this.ws.send(JSON.stringify(msg));
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  async hello(over: Partial<Extract<AgentMessage, { type: 'hello' }>> = {}) {
    await this.opened;
    this.send({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      host: this.host,
      agentVersion: 'test',
      instance: this.instance,
      intervalMs: 1000,
      tracing: 'on',
      ...over,
    });
    return this.waitFor((m) => m.type === 'welcome', 5000, 'welcome') as Promise<
      Extract<HubToAgentMessage, { type: 'welcome' }>
    >;
  }

  topology(t: number, topology: Topology): void {
    this.send({ type: 'topology', seq: this.seq++, t, topology });
  }

  sample(sample: Sample, backfill = false): void {
    this.send({ type: 'sample', seq: this.seq++, backfill, sample });
  }

  close(): Promise<Closed> {
    this.ws.close();
    return this.closed;
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** A simulated browser on /ws/ui. */
export class FakeBrowser {
  readonly received: HubToUiMessage[] = [];
  /** Each frame's type and whether it came as a WebSocket binary frame, in order. */
  readonly opcodes: { type: string; binary: boolean }[] = [];
  readonly opened: Promise<void>;
  readonly refused: Promise<number>;
  private readonly listeners = new Set<() => void>();
  readonly ws: WebSocket;
  readonly waitFor: ReturnType<typeof waiter<HubToUiMessage>>;

  /** token: the bearer token sent (default the test hubs' operator token; null sends none). */
  constructor(
    hubUrl: string,
    opts: { origin?: string; token?: string | null; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.origin) headers.origin = opts.origin;
    const token = opts.token === undefined ? TEST_ACCESS_TOKEN : opts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    this.ws = new WebSocket(`${hubUrl.replace(/^http/, 'ws')}/ws/ui`, { headers, perMessageDeflate: false });
    this.waitFor = waiter(this.received, this.listeners);
    this.opened = new Promise((resolve) => this.ws.on('open', () => resolve()));
    this.refused = new Promise((resolve) =>
      this.ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
    );
    this.ws.on('error', () => {});
    this.ws.on('message', (data, binary) => {
      const r = decodeHubToUi(data.toString());
      if (!r.ok) throw new Error(`hub sent a bad browser frame: ${r.error}`);
      this.opcodes.push({ type: r.value.type, binary });
      this.received.push(r.value);
      for (const l of [...this.listeners]) l();
    });
  }

  async subscribe(hosts: string[], samples?: 'text' | 'binary'): Promise<void> {
    await this.opened;
    this.ws.send(JSON.stringify({ type: 'subscribe', hosts, ...(samples ? { samples } : {}) }));
  }

  samplesOf(host: string) {
    return this.received.filter(
      (m): m is Extract<HubToUiMessage, { type: 'sample' }> => m.type === 'sample' && m.host === host,
    );
  }

  close(): void {
    this.ws.close();
  }
}
