/**
 * A stand-in hub for the bench, screenshots and offline UI work: serves apps/web/dist and speaks
 * the real /ws/ui protocol with a scripted topology and samples. Not part of the product: the app
 * cannot tell it from the hub, which is the point (the product path stays the same).
 *
 *   node --import tsx apps/web/bench/fakeHub.ts [--port 7171] [--scenario lab|lab-backlog|synthetic:1000]
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostSummary, HubToUiMessage, Sample, Topology } from '@hopwatch/shared';
import { type WebSocket, WebSocketServer } from 'ws';
import { syntheticSample, syntheticTopology } from '../test/fixtures/synthetic.ts';
import { labSample, labTopology } from '../test/fixtures/topo.ts';

/** The build served: apps/web/dist, or HOPWATCH_WEB_DIST (the bench compares an older build with `--no-build`). */
export const DIST = resolve(
  process.env.HOPWATCH_WEB_DIST ?? fileURLToPath(new URL('../dist', import.meta.url)),
);
const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/**
 * Samples sent after the topology when a browser subscribes. The hub sends the latest one
 * (apps/hub/src/seams/bus.ts, LiveState: "its topology and latest sample"); until webfirst3 this
 * stand-in sent the last five, 4 × 167 KB more for the page to read and its judge to judge
 * beside the first picture at 3000 interfaces. HOPWATCH_FAKEHUB_SUBSCRIBE_SAMPLES=5 sends them
 * again, to compare with figures measured before.
 */
const SUBSCRIBE_SAMPLES = Number(process.env.HOPWATCH_FAKEHUB_SUBSCRIBE_SAMPLES ?? 1);

export interface Scenario {
  topology: Topology;
  /** What the host list says (the real hub judges; the fake one is told). */
  lossHops: number;
  sample: (t: number, seq: number) => Sample;
  intervalMs: number;
}

export function scenario(name: string, intervalMs = 1000): Scenario {
  if (name.startsWith('synthetic:')) {
    // synthetic:N (every interface busy) or synthetic:N:loss (one folded router losing 2 %).
    const [, count, loss] = name.split(':');
    const n = Number(count);
    const topology = syntheticTopology(n, Math.max(1, Math.round(n / 10)));
    const lossy = loss === 'loss' ? 'qrouter-0042/qg' : null;
    return {
      topology,
      lossHops: lossy === null ? 0 : 1,
      sample: (t, seq) => syntheticSample(topology, t, seq, lossy),
      intervalMs,
    };
  }
  const backlog = name === 'lab-backlog';
  const topology = labTopology(backlog ? 'backlog' : 'none');
  topology.host = 'lab-host';
  return {
    topology,
    lossHops: backlog ? 1 : 0,
    sample: (t, seq) => labSample(t, 2000 + ((seq * 37) % 300), backlog ? 18 + ((seq * 13) % 25) : 0),
    intervalMs,
  };
}

export interface FakeHub {
  server: Server;
  url: string;
  /** Push one sample to every browser now (the bench drives ticks itself). */
  tick: () => void;
  close: () => Promise<void>;
}

export async function startFakeHub(opts: {
  port: number;
  scenario: Scenario;
  autoTick: boolean;
  /** The build to serve (default DIST): bench/first.ts alternates two. */
  dist?: string;
}): Promise<FakeHub> {
  const { topology } = opts.scenario;
  const dist = resolve(opts.dist ?? DIST);
  const host = topology.host;
  let seq = 0;
  let t = Date.now() - 1000;
  const history: Sample[] = [];
  const summary = (): HostSummary => ({
    host,
    status: 'online',
    lastSeen: t,
    agentVersion: 'fake',
    ifaceCount: topology.ifaces.length,
    lossHops: opts.scenario.lossHops,
    worst: opts.scenario.lossHops > 0 ? 'loss' : 'ok',
  });
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/hosts') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ hosts: [summary()] }));
      return;
    }
    // The last minutes, as the hub's recording route answers them (the app seeds its history).
    if (url.pathname === `/api/hosts/${encodeURIComponent(host)}/recording`) {
      const start = Number(url.searchParams.get('start'));
      const end = Number(url.searchParams.get('end'));
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          host,
          topologies: [{ t: t - 600_000, topology }],
          samples: history.filter((x) => x.t >= start && x.t <= end),
        }),
      );
      return;
    }
    if (url.pathname.startsWith('/api/')) {
      res.statusCode = 404;
      res.end('{"error":"not in the fake hub"}');
      return;
    }
    const file = normalize(join(dist, url.pathname === '/' ? 'index.html' : url.pathname));
    const ok = file.startsWith(dist) && (await stat(file).catch(() => null))?.isFile();
    const path = ok ? file : join(dist, 'index.html');
    res.setHeader('content-type', TYPES[extname(path)] ?? 'application/octet-stream');
    res.end(await readFile(path));
  });
  const wss = new WebSocketServer({ server, path: '/ws/ui' });
  const send = (ws: WebSocket, msg: HubToUiMessage) => ws.send(JSON.stringify(msg));
  /** Browsers whose subscribe asked for sample frames as binary frames (as the hub does). */
  const binary = new WeakSet<WebSocket>();
  const sendSample = (ws: WebSocket, frame: string) => {
    if (binary.has(ws)) ws.send(Buffer.from(frame), { binary: true });
    else ws.send(frame);
  };
  wss.on('connection', (ws) => {
    send(ws, { type: 'hosts', hosts: [summary()] });
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as {
        type: string;
        hosts?: string[];
        t?: number;
        samples?: string;
      };
      if (msg.type === 'ping') send(ws, { type: 'pong', t: msg.t ?? 0 });
      if (msg.type === 'subscribe') {
        if (msg.samples === 'binary') binary.add(ws);
        else binary.delete(ws);
      }
      if (msg.type === 'subscribe' && msg.hosts?.includes(host)) {
        send(ws, { type: 'topology', host, t, topology });
        for (const s of history.slice(-SUBSCRIBE_SAMPLES))
          sendSample(
            ws,
            JSON.stringify({ type: 'sample', host, merged: 1, sample: s } satisfies HubToUiMessage),
          );
      }
    });
  });
  const tick = () => {
    t += opts.scenario.intervalMs;
    const sample = opts.scenario.sample(t, seq++);
    history.push(sample);
    if (history.length > 10) history.shift();
    const frame = JSON.stringify({ type: 'sample', host, merged: 1, sample } satisfies HubToUiMessage);
    // Encoded once for every browser, as the hub does.
    const bytes = Buffer.from(frame);
    for (const c of wss.clients) {
      if (binary.has(c)) c.send(bytes, { binary: true });
      else c.send(frame);
    }
  };
  // Some history before the first browser arrives, so the map opens with numbers.
  for (let i = 0; i < 5; i++) tick();
  const timer = opts.autoTick ? setInterval(tick, opts.scenario.intervalMs) : null;
  await new Promise<void>((resolve) => server.listen(opts.port, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${opts.port}`,
    tick,
    close: async () => {
      if (timer) clearInterval(timer);
      for (const c of wss.clients) c.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const hub = await startFakeHub({
    port: Number(arg('port', '7171')),
    scenario: scenario(arg('scenario', 'lab-backlog')),
    autoTick: true,
  });
  console.log(`fake hub on ${hub.url}`);
}
