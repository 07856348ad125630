import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLOSE, DiagnosisSchema, type HostSummary, PROTOCOL_VERSION, type Topology } from '@hopwatch/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Timeline } from '../src/http/timeline.ts';
import { type Hub, type Recording, silentLogger, startHub } from '../src/index.ts';
import { authedFetch as fetch, TEST_AUTH } from './helpers/auth.ts';
import { FakeAgent, FakeBrowser } from './helpers/clients.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';

const TOKEN = 'test-token-0123456789';
const hubs: Hub[] = [];
const agents: FakeAgent[] = [];
const browsers: FakeBrowser[] = [];

async function hub(over: Partial<Parameters<typeof startHub>[0]> = {}): Promise<Hub> {
  const h = await startHub({
    port: 0,
    db: ':memory:',
    agentToken: TOKEN,
    log: silentLogger,
    auth: TEST_AUTH,
    ...over,
  });
  hubs.push(h);
  return h;
}
function agent(h: Hub, host: string, opts: ConstructorParameters<typeof FakeAgent>[2] = {}): FakeAgent {
  const a = new FakeAgent(h.url, host, { token: TOKEN, ...opts });
  agents.push(a);
  return a;
}
function browser(h: Hub, opts: ConstructorParameters<typeof FakeBrowser>[1] = {}): FakeBrowser {
  const b = new FakeBrowser(h.url, opts);
  browsers.push(b);
  return b;
}
async function getJson<T>(url: string): Promise<T> {
  return (await (await fetch(url)).json()) as T;
}
async function metrics(h: Hub): Promise<string> {
  return (await fetch(`${h.url}/metrics`)).text();
}
/** Polls until fn() passes (vitest's own retry loop): the hub handles frames asynchronously to the test. */
const eventually = (fn: () => void | Promise<void>, timeoutMs = 5000) =>
  vi.waitFor(fn, { timeout: timeoutMs, interval: 20 });

afterEach(async () => {
  for (const a of agents.splice(0)) a.terminate();
  for (const b of browsers.splice(0)) b.ws.terminate();
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

const now = () => Math.floor(Date.now() / 1000) * 1000;

describe('agents', () => {
  it('hello gets welcome with lastT of what is recorded, so a reconnect backfills after it', async () => {
    const h = await hub();
    const a = agent(h, 'h1');
    expect(await a.hello()).toEqual({ type: 'welcome', protocol: PROTOCOL_VERSION, lastT: null });
    const t0 = now() - 5000;
    a.topology(t0, makeTopology('h1'));
    for (let i = 1; i <= 3; i++) a.sample(makeSample(t0 + i * 1000, { 'veth-a': row({ rxPackets: i }) }));
    await eventually(() => expect(h.store.lastT('h1')).toBe(t0 + 3000));
    await a.close();
    const again = agent(h, 'h1', { instance: a.instance });
    expect((await again.hello()).lastT).toBe(t0 + 3000);
  });

  it('a wrong or missing token is refused with 401 before the upgrade, and counted', async () => {
    const h = await hub();
    expect(await agent(h, 'h1', { token: 'wrong' }).refused).toBe(401);
    expect(await agent(h, 'h1', { token: null }).refused).toBe(401);
    expect(await metrics(h)).toContain('hopwatch_connections_refused_total{reason="bad_token"} 2');
  });

  it('a wrong protocol version closes with CLOSE.badProtocol and a reason', async () => {
    const h = await hub();
    const byQuery = await agent(h, 'h1', { protocol: '99' }).closed;
    expect(byQuery.code).toBe(CLOSE.badProtocol);
    expect(byQuery.reason).toContain('protocol 1');
    const a = agent(h, 'h1', { protocol: null });
    await a.opened;
    a.send({
      type: 'hello',
      protocol: 7,
      host: 'h1',
      agentVersion: 'x',
      instance: 'i',
      intervalMs: 1000,
      tracing: 'on',
    });
    expect((await a.closed).code).toBe(CLOSE.badProtocol);
  });

  it('a second agent claiming a live host name is refused with CLOSE.duplicateHost; the first goes on', async () => {
    const h = await hub();
    const first = agent(h, 'h1');
    await first.hello();
    const second = agent(h, 'h1');
    await second.opened;
    second.send({
      type: 'hello',
      protocol: 1,
      host: 'h1',
      agentVersion: 'x',
      instance: 'other',
      intervalMs: 1000,
      tracing: 'on',
    });
    const closed = await second.closed;
    expect(closed.code).toBe(CLOSE.duplicateHost);
    expect(closed.reason).toContain('already connected');
    first.sample(makeSample(now()));
    await eventually(() => expect(h.store.lastT('h1')).not.toBeNull());
    // The same agent process reconnecting replaces its old connection.
    const same = agent(h, 'h1', { instance: first.instance });
    await same.hello();
    expect((await first.closed).code).toBe(CLOSE.duplicateHost);
  });

  it('bad frames are counted and logged, and the connection and recording go on', async () => {
    const lines: string[] = [];
    const h = await hub({ log: { info() {}, warn: (m) => lines.push(m), error: (m) => lines.push(m) } });
    const a = agent(h, 'h1');
    await a.hello();
    const t0 = now() - 10_000;
    a.sample(makeSample(t0 + 1000));
    a.sendRaw('{not json');
    a.sendRaw(JSON.stringify({ type: 'sample', seq: 'x' }));
    a.sendRaw(JSON.stringify({ type: 'warp-drive' }));
    a.sendRaw(Buffer.from([1, 2, 3]), true);
    a.sample(makeSample(t0 + 500)); // out of order
    a.sample(makeSample(Date.now() + 3600_000)); // clock far ahead
    a.topology(t0, makeTopology('someone-else'));
    for (let i = 0; i < 50; i++) a.sendRaw(`garbage ${i}`);
    a.sample(makeSample(t0 + 2000));
    await eventually(() => expect(h.store.lastT('h1')).toBe(t0 + 2000));
    const m = await metrics(h);
    expect(m).toContain('hopwatch_frames_rejected_total{reason="not_json"} 51');
    expect(m).toContain('hopwatch_frames_rejected_total{reason="invalid"} 2');
    expect(m).toContain('hopwatch_frames_rejected_total{reason="binary"} 1');
    expect(m).toContain('hopwatch_frames_rejected_total{reason="out_of_order"} 1');
    expect(m).toContain('hopwatch_frames_rejected_total{reason="future"} 1');
    expect(m).toContain('hopwatch_frames_rejected_total{reason="host_mismatch"} 1');
    // Once per agent and reason per minute, not once per frame.
    expect(lines.filter((l) => l.includes('not_json'))).toHaveLength(1);
    expect(h.store.readRange('h1', 0, Date.now()).samples.map((s) => s.t)).toEqual([t0 + 1000, t0 + 2000]);
  });

  it('a frame over MAX_FRAME_BYTES closes that connection (1009) and is counted; the hub goes on', async () => {
    const h = await hub();
    const a = agent(h, 'h1');
    await a.hello();
    a.sendRaw('x'.repeat(16 * 1024 * 1024 + 10));
    expect((await a.closed).code).toBe(1009);
    await eventually(async () => expect(await metrics(h)).toContain('reason="too_large"} 1'));
    const b = agent(h, 'h1');
    expect((await b.hello()).type).toBe('welcome');
  });

  it('frames before hello close the connection with CLOSE.badFrame', async () => {
    const h = await hub();
    const a = agent(h, 'h1');
    await a.opened;
    a.sample(makeSample(now()));
    const c = await a.closed;
    expect(c).toEqual({ code: CLOSE.badFrame, reason: 'send hello first' });
  });
});

describe('browsers', () => {
  it('get the host list at once and only the samples of the hosts they watch', async () => {
    const h = await hub();
    const a1 = agent(h, 'h1');
    const a2 = agent(h, 'h2');
    await Promise.all([a1.hello(), a2.hello()]);
    const t0 = now() - 5000;
    a1.topology(t0, makeTopology('h1'));
    a2.topology(t0, makeTopology('h2'));
    const b = browser(h);
    const hosts = await b.waitFor((m) => m.type === 'hosts' && m.hosts.length === 2);
    expect(hosts.type === 'hosts' && hosts.hosts.map((x) => [x.host, x.status])).toEqual([
      ['h1', 'lagging'],
      ['h2', 'lagging'],
    ]);
    await b.subscribe(['h1']);
    await b.waitFor((m) => m.type === 'topology' && m.host === 'h1');
    a2.sample(makeSample(t0 + 1000));
    a1.sample(makeSample(t0 + 1000, { 'veth-a': row({ rxPackets: 9 }) }));
    const s = await b.waitFor((m) => m.type === 'sample');
    expect(s).toMatchObject({ host: 'h1', merged: 1 });
    await new Promise((r) => setTimeout(r, 100));
    expect(b.samplesOf('h2')).toHaveLength(0);
    expect(b.received.some((m) => m.type === 'topology' && m.host === 'h2')).toBe(false);
  });

  it('a browser that asks for binary samples gets sample frames as binary frames of the same JSON, all else as text', async () => {
    const h = await hub();
    const a = agent(h, 'h1');
    await a.hello();
    const t0 = now() - 5000;
    a.topology(t0, makeTopology('h1'));
    a.sample(makeSample(t0 + 1000));
    const b = browser(h);
    await b.waitFor((m) => m.type === 'hosts' && m.hosts.length === 1);
    await b.subscribe(['h1'], 'binary');
    // The latest sample at once, then a live one: both binary; the topology and host list text.
    await b.waitFor((m) => m.type === 'sample');
    a.sample(makeSample(t0 + 2000, { 'veth-a': row({ rxPackets: 9 }) }));
    await b.waitFor((m) => m.type === 'sample' && m.sample.t === t0 + 2000);
    const opcodeOf = (t: number) =>
      b.opcodes[b.received.findIndex((m) => m.type === 'sample' && m.sample.t === t)];
    expect(opcodeOf(t0 + 1000)).toEqual({ type: 'sample', binary: true });
    expect(opcodeOf(t0 + 2000)).toEqual({ type: 'sample', binary: true });
    expect(b.opcodes.filter((o) => o.binary).map((o) => o.type)).toEqual(['sample', 'sample']);
    expect(b.opcodes.filter((o) => !o.binary).map((o) => o.type)).toContain('topology');
    expect(b.samplesOf('h1').at(-1)?.sample.ifaces['veth-a']).toBeDefined();
    // Asked again without it: text, as before.
    await b.subscribe(['h1']);
    a.sample(makeSample(t0 + 3000));
    await b.waitFor((m) => m.type === 'sample' && m.sample.t === t0 + 3000);
    expect(opcodeOf(t0 + 3000)).toEqual({ type: 'sample', binary: false });
  });

  it('an unknown host in subscribe gets an error naming the known hosts', async () => {
    const h = await hub();
    await agent(h, 'h1').hello();
    const b = browser(h);
    await b.subscribe(['nope']);
    const e = await b.waitFor((m) => m.type === 'error');
    expect(e).toMatchObject({ code: 'unknown_host' });
    expect(e.type === 'error' && e.message).toContain('h1');
  });

  it('a page from a foreign origin may not open /ws/ui (403); the hub own origin and a proxying dev server may', async () => {
    const h = await hub();
    expect(await browser(h, { origin: 'https://evil.example' }).refused).toBe(403);
    // Another program on loopback is not the hub's page either.
    expect(await browser(h, { origin: 'http://localhost:5173' }).refused).toBe(403);
    await browser(h, { origin: h.url }).opened;
    // Vite's dev server proxies /ws with the page's Host: Origin and Host agree.
    await browser(h, { origin: 'http://127.0.0.1:5173', headers: { host: '127.0.0.1:5173' } }).opened;
  });

  it('a slow browser is sent merged latest state, not a growing queue', async () => {
    const h = await hub();
    const a = agent(h, 'big');
    await a.hello();
    const ids = Array.from({ length: 1000 }, (_, i) => `ns${i % 50}/veth-${i}`);
    const t0 = now() - 400_000;
    a.topology(t0, makeTopology('big', ids));
    const b = browser(h);
    await b.subscribe(['big']);
    await b.waitFor((m) => m.type === 'topology');
    // Stop reading: the kernel's buffers fill, then the hub's socket buffer.
    b.ws.pause();
    const N = 300;
    for (let i = 1; i <= N; i++) {
      const ifaces = Object.fromEntries(
        ids.map((id, k) => [id, row({ rxPackets: i + k, rxBytes: (i + k) * 1500 })]),
      );
      a.sample(makeSample(t0 + i * 1000, ifaces));
    }
    await eventually(() => expect(h.store.lastT('big')).toBe(t0 + N * 1000), 15_000);
    const m = await metrics(h);
    expect(m).toMatch(/hopwatch_ui_clients_lagging 1/);
    const merged = Number(/hopwatch_ui_samples_merged_total (\d+)/.exec(m)?.[1]);
    expect(merged).toBeGreaterThan(0);
    const ws = [...h.core.uiClients][0]!.ws;
    // Bounded: under the threshold plus about one frame, however many samples came.
    expect(ws.bufferedAmount).toBeLessThan(2 * 1024 * 1024);
    b.ws.resume();
    const last = await b.waitFor((x) => x.type === 'sample' && x.sample.t === t0 + N * 1000, 10_000);
    expect(last.type === 'sample' && last.merged).toBeGreaterThan(1);
    const got = b.samplesOf('big');
    expect(got.reduce((n, x) => n + x.merged, 0)).toBe(N);
  }, 30_000);
});

describe('HTTP API', () => {
  async function withData() {
    const h = await hub();
    const a = agent(h, 'h1');
    await a.hello();
    const t0 = now() - 20_000;
    a.topology(t0, makeTopology('h1'));
    for (let i = 1; i <= 5; i++)
      a.sample(makeSample(t0 + i * 1000, { 'veth-a': row({ rxPackets: 10, txDropped: 1 }) }));
    await eventually(() => expect(h.store.lastT('h1')).toBe(t0 + 5000));
    return { h, t0 };
  }

  it('lists hosts and answers a topology', async () => {
    const { h } = await withData();
    const hosts = await getJson<{ hosts: HostSummary[] }>(`${h.url}/api/hosts`);
    expect(hosts.hosts.map((x) => x.host)).toEqual(['h1']);
    const topo = await getJson<{ topology: Topology }>(`${h.url}/api/hosts/h1/topology`);
    expect(topo.topology.ifaces.map((i) => i.id)).toEqual(['veth-a', 'ns1/veth-b']);
  });

  it('an unknown host is a 404 naming the known hosts', async () => {
    const { h } = await withData();
    const r = await fetch(`${h.url}/api/hosts/nope/topology`);
    expect(r.status).toBe(404);
    expect(await r.json()).toEqual({ error: 'unknown host "nope"', knownHosts: ['h1'] });
    expect((await fetch(`${h.url}/api/nothing`)).status).toBe(404);
  });

  it('diagnosis answers the Diagnosis object for a window ending at t', async () => {
    const { h, t0 } = await withData();
    const r = await fetch(`${h.url}/api/hosts/h1/diagnosis?from=veth-a&to=ns1/veth-b&seconds=3`);
    expect(r.status).toBe(200);
    const d = DiagnosisSchema.parse(await r.json());
    expect(d.host).toBe('h1');
    expect(d.to).toBe(t0 + 5000);
    expect(d.from).toBe(t0 + 2000);
    const iso = new Date(t0 + 3000).toISOString();
    const past = DiagnosisSchema.parse(
      await (await fetch(`${h.url}/api/hosts/h1/diagnosis?t=${iso}&seconds=2`)).json(),
    );
    expect(past.to).toBe(t0 + 3000);
    // Bare names resolve as on the command line; unknown ones are a PATH finding, as in the CLI.
    const bare = DiagnosisSchema.parse(
      await getJson(`${h.url}/api/hosts/h1/diagnosis?from=veth-a&to=veth-b`),
    );
    expect(bare.path).toEqual(['veth-a', 'ns1/veth-b']);
    const bad = DiagnosisSchema.parse(await getJson(`${h.url}/api/hosts/h1/diagnosis?from=veth-z&to=veth-a`));
    expect(bad.path).toBeNull();
    expect(bad.findings.find((f) => f.rule === 'PATH')?.evidence.join(' ')).toContain('veth-a');
  });

  it('recording answers topologies and samples of a range; timeline buckets it', async () => {
    const { h, t0 } = await withData();
    const rec = await getJson<Recording>(`${h.url}/api/hosts/h1/recording?start=${t0}&end=${t0 + 3000}`);
    expect(rec.samples.map((s) => s.t)).toEqual([t0 + 1000, t0 + 2000, t0 + 3000]);
    expect(rec.topologies).toHaveLength(1);
    const tl = await getJson<Timeline>(
      `${h.url}/api/hosts/h1/timeline?start=${t0}&end=${t0 + 10_000}&buckets=10`,
    );
    expect(tl.bucketMs).toBe(1000);
    expect(tl.buckets.map((b) => b.samples)).toEqual([0, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(tl.buckets[0]!.worst).toBeNull();
    expect(tl.buckets[1]!.worst).not.toBeNull();
    expect((await fetch(`${h.url}/api/hosts/h1/recording?start=x`)).status).toBe(400);
  });

  it('healthz and the web app fallback page answer', async () => {
    const h = await hub({ webDist: '/nonexistent/dist' });
    const health = await getJson<object>(`${h.url}/healthz`);
    expect(health).toMatchObject({ ok: true, agents: 0 });
    const page = await fetch(`${h.url}/?host=h1&t=live`);
    expect(page.status).toBe(503);
    expect(await page.text()).toContain('npm run build -w @hopwatch/web');
  });

  it('serves the built web app with SPA fallback, never for /api', async () => {
    const dist = mkdtempSync(join(tmpdir(), 'hopwatch-dist-'));
    try {
      writeFileSync(join(dist, 'index.html'), '<!doctype html><title>hopwatch</title>');
      mkdirSync(join(dist, 'assets'));
      writeFileSync(join(dist, 'assets', 'app.js'), 'console.log(1)');
      const h = await hub({ webDist: dist });
      expect(await (await fetch(`${h.url}/?host=h1&t=live`)).text()).toContain('<title>hopwatch</title>');
      expect(await (await fetch(`${h.url}/some/deep/path`)).text()).toContain('<title>hopwatch</title>');
      const js = await fetch(`${h.url}/assets/app.js`);
      expect(js.headers.get('content-type')).toContain('javascript');
      expect((await fetch(`${h.url}/api/nope`)).status).toBe(404);
    } finally {
      rmSync(dist, { recursive: true, force: true });
    }
  });

  it('EADDRINUSE is explained in words', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(hub({ port })).rejects.toThrow(/already in use.*--port/);
    } finally {
      blocker.close();
    }
  });
});
