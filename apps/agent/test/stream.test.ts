import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLOSE, decodeAgentMessage, type AgentMessage, type Sample, type Topology } from '@hopwatch/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { type AgentHandle, type SampleSource, streamFrom } from '../src/stream/agent.ts';
import { BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, backoffDelay } from '../src/stream/backoff.ts';
import { agentUrl } from '../src/stream/connection.ts';
import { SampleRing } from '../src/stream/ring.ts';

const INTERVAL_MS = 50;

function fakeSource(logs: string[]): SampleSource {
  const topology: Topology = {
    host: 'hv-test',
    kernel: '6.18',
    cpus: 2,
    namespaces: [],
    ifaces: [],
    routes: [],
  };
  return {
    opts: { host: 'hv-test', intervalMs: INTERVAL_MS, log: (l, m) => logs.push(`${l}: ${m}`) },
    tracingState: 'off',
    topologyVersion: 1,
    topology: () => topology,
    keyframe: () => ({ t: Date.now(), ifaces: {}, softnet: [] }),
    sample: async (): Promise<Sample> => ({
      t: Date.now(),
      elapsedMs: INTERVAL_MS,
      ifaces: {},
      softnet: [],
      qdiscs: {},
      snmp: {},
      drops: [],
      sysctls: {},
      tracing: { state: 'off', detail: null, lost: 0 },
    }),
    close: async () => {},
  };
}

interface FakeHub {
  port: number;
  url: string;
  received: AgentMessage[];
  requests: IncomingMessage[];
  sockets: WebSocket[];
  close(): Promise<void>;
}

/** A tiny hub: records decoded frames; `onHello` decides how to answer. */
function fakeHub(onHello: (ws: WebSocket) => void, port = 0): Promise<FakeHub> {
  return new Promise((resolve) => {
    const wss = new WebSocketServer({ port, host: '127.0.0.1' });
    const hub: FakeHub = {
      port: 0,
      url: '',
      received: [],
      requests: [],
      sockets: [],
      close: () =>
        new Promise((r) => {
          for (const s of hub.sockets) s.terminate();
          wss.close(() => r());
        }),
    };
    wss.on('connection', (ws, req) => {
      hub.requests.push(req);
      hub.sockets.push(ws);
      ws.on('message', (data) => {
        const d = decodeAgentMessage(data.toString());
        if (!d.ok) throw new Error(d.error);
        hub.received.push(d.value);
        if (d.value.type === 'hello') onHello(ws);
      });
    });
    wss.on('listening', () => {
      hub.port = (wss.address() as AddressInfo).port;
      hub.url = `ws://127.0.0.1:${hub.port}`;
      resolve(hub);
    });
  });
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const welcome = (lastT: number | null) => JSON.stringify({ type: 'welcome', protocol: 1, lastT });

describe('streaming to the hub', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('STR1: hello first with the token as a Bearer header, then topology, keyframe and samples', async () => {
    const hub = await fakeHub((ws) => ws.send(welcome(null)));
    cleanups.push(() => hub.close());
    const agent = streamFrom(fakeSource([]), hub.url, 's3cret');
    cleanups.push(() => agent.stop());
    await until(() => hub.received.filter((m) => m.type === 'sample').length >= 3);
    expect(hub.requests[0]!.url).toBe('/ws/agent?protocol=1');
    expect(hub.requests[0]!.headers.authorization).toBe('Bearer s3cret');
    expect(hub.received.slice(0, 3).map((m) => m.type)).toEqual(['hello', 'topology', 'keyframe']);
    expect(hub.received[0]).toMatchObject({
      type: 'hello',
      host: 'hv-test',
      intervalMs: INTERVAL_MS,
      protocol: 1,
    });
    // A sample taken before the welcome (a slow machine) is backfilled with the seq it was made
    // with, after the topology and keyframe: only the live frames are in order.
    const live = hub.received.filter((m) => !(m.type === 'sample' && m.backfill));
    const seqs = live.flatMap((m) => ('seq' in m ? [m.seq] : []));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(agent.status()).toBe('online');
  });

  it('STR2: samples made while the hub is away are backfilled after welcome.lastT', async () => {
    const hub = await fakeHub((ws) => ws.send(welcome(null)));
    const agent = streamFrom(fakeSource([]), hub.url, null);
    cleanups.push(() => agent.stop());
    await until(() => hub.received.some((m) => m.type === 'sample'));
    const lastLive = hub.received.filter((m) => m.type === 'sample').at(-1)!;
    const lastT = lastLive.type === 'sample' ? lastLive.sample.t : 0;
    await hub.close();
    await until(() => agent.status() === 'offline' || agent.status() === 'connecting');
    await new Promise((r) => setTimeout(r, INTERVAL_MS * 6)); // samples pile up in the ring
    const hub2 = await fakeHub((ws) => ws.send(welcome(lastT)), hub.port);
    cleanups.push(() => hub2.close());
    await until(() => hub2.received.some((m) => m.type === 'sample' && m.backfill), 15_000);
    const backfill = hub2.received.flatMap((m) => (m.type === 'sample' && m.backfill ? [m] : []));
    expect(backfill.length).toBeGreaterThanOrEqual(3);
    for (const m of backfill) expect(m.sample.t).toBeGreaterThan(lastT);
    expect(hub2.received.slice(0, 3).map((m) => m.type)).toEqual(['hello', 'topology', 'keyframe']);
  });

  it('STR10: while the hub is there the ring keeps only the recent past; from the moment it goes, everything', async () => {
    const keepMs = INTERVAL_MS * 8;
    const hub = await fakeHub((ws) => ws.send(welcome(null)));
    const agent = streamFrom(fakeSource([]), hub.url, null, {}, keepMs);
    cleanups.push(() => agent.stop());
    // Online for 30 samples, then the hub goes and comes back having lost everything (lastT null).
    await until(() => hub.received.filter((m) => m.type === 'sample').length >= 30);
    const goneAt = Date.now();
    await hub.close();
    await until(() => agent.status() === 'offline' || agent.status() === 'connecting');
    await new Promise((r) => setTimeout(r, INTERVAL_MS * 10));
    const hub2 = await fakeHub((ws) => ws.send(welcome(null)), hub.port);
    cleanups.push(() => hub2.close());
    await until(() => hub2.received.some((m) => m.type === 'sample' && !m.backfill), 15_000);
    const backfill = hub2.received.flatMap((m) => (m.type === 'sample' && m.backfill ? [m] : []));
    const before = backfill.filter((m) => m.sample.t <= goneAt);
    const after = backfill.filter((m) => m.sample.t > goneAt);
    // The online window's few samples before the hub went (not all 30), and every one after.
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThanOrEqual(keepMs / INTERVAL_MS + 2);
    for (const m of before) expect(m.sample.t).toBeGreaterThanOrEqual(goneAt - keepMs - INTERVAL_MS * 2);
    expect(after.length).toBeGreaterThanOrEqual(5);
  });

  it('STR3: a hub refusing the token (close 4001) is an error status in words, the agent lives on', async () => {
    const hub = await fakeHub((ws) => ws.close(CLOSE.badToken, 'bad token'));
    cleanups.push(() => hub.close());
    const logs: string[] = [];
    const agent = streamFrom(fakeSource(logs), hub.url, 'wrong');
    cleanups.push(() => agent.stop());
    await until(() => agent.status() === 'error');
    expect(logs.join('\n')).toMatch(/hub refused the agent token \(bad token\).*retrying in 60 s/);
  });

  it('STR4: HTTP 401 before the upgrade is the same refusal', async () => {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      verifyClient: (_info, cb) => cb(false, 401, 'Unauthorized'),
    });
    await new Promise((r) => wss.on('listening', r));
    cleanups.push(() => new Promise((r) => wss.close(() => r())));
    const logs: string[] = [];
    const port = (wss.address() as AddressInfo).port;
    const agent: AgentHandle = streamFrom(fakeSource(logs), `ws://127.0.0.1:${port}`, 'wrong');
    cleanups.push(() => agent.stop());
    await until(() => agent.status() === 'error');
    expect(logs.join('\n')).toMatch(/hub refused the agent token \(HTTP 401\)/);
  });

  it('STR5: the agent answers the hub ping with a pong', async () => {
    const hub = await fakeHub((ws) => {
      ws.send(welcome(null));
      ws.send(JSON.stringify({ type: 'ping', t: 42 }));
    });
    cleanups.push(() => hub.close());
    const agent = streamFrom(fakeSource([]), hub.url, null);
    cleanups.push(() => agent.stop());
    await until(() => hub.received.some((m) => m.type === 'pong'));
    expect(hub.received.find((m) => m.type === 'pong')).toEqual({ type: 'pong', t: 42 });
  });

  it('STR6: an unreachable hub leaves the agent offline and retrying, quietly', async () => {
    const logs: string[] = [];
    const agent = streamFrom(fakeSource(logs), 'ws://127.0.0.1:1', null);
    cleanups.push(() => agent.stop());
    await until(() => agent.status() === 'offline');
    await new Promise((r) => setTimeout(r, 1500));
    expect(logs.filter((l) => l.includes('cannot reach hub'))).toHaveLength(1);
  });
});

describe('ring and backoff', () => {
  it('STR7: the ring is bounded by count and by bytes', () => {
    const ring = new SampleRing(5, 1000);
    for (let i = 0; i < 20; i++) ring.push({ t: i, seq: i, frame: 'x'.repeat(100) });
    expect(ring.size).toBe(5);
    expect(ring.since(17).map((e) => e.t)).toEqual([18, 19]);
    const small = new SampleRing(100, 250);
    for (let i = 0; i < 20; i++) small.push({ t: i, seq: i, frame: 'x'.repeat(100) });
    expect(small.size).toBe(2);
    expect(small.byteSize).toBeLessThanOrEqual(250);
    const many = new SampleRing(10, 1e9);
    for (let i = 0; i < 5000; i++) many.push({ t: i, seq: i, frame: 'y' });
    expect(many.since(null).map((e) => e.t)).toEqual([
      4990, 4991, 4992, 4993, 4994, 4995, 4996, 4997, 4998, 4999,
    ]);
    many.dropUntil(4995);
    expect(many.since(null).map((e) => e.t)).toEqual([4996, 4997, 4998, 4999]);
    expect(many.byteSize).toBe(4);
  });

  it('STR8: backoff starts at 0.5 s, doubles, stops at 10 s, with ±20 % jitter', () => {
    expect(backoffDelay(0, () => 0.5)).toBe(BACKOFF_INITIAL_MS);
    expect(backoffDelay(3, () => 0.5)).toBe(4000);
    expect(backoffDelay(30, () => 0.5)).toBe(BACKOFF_MAX_MS);
    expect(backoffDelay(30, () => 1)).toBe(BACKOFF_MAX_MS * 1.2);
    expect(backoffDelay(0, () => 0)).toBe(BACKOFF_INITIAL_MS * 0.8);
  });

  it('STR9: the hub address becomes the agent endpoint with the protocol version', () => {
    expect(agentUrl('ws://10.0.0.1:7070')).toBe('ws://10.0.0.1:7070/ws/agent?protocol=1');
    expect(agentUrl('http://hub:7070/')).toBe('ws://hub:7070/ws/agent?protocol=1');
    expect(agentUrl('127.0.0.1:7070')).toBe('ws://127.0.0.1:7070/ws/agent?protocol=1');
  });
});
