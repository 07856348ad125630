/**
 * N simulated agents in one process (bench only): each sends its topology, then one sample a
 * second, phases spread evenly over the second. Counters are fresh numbers every second
 * (heavy-tailed rates, ±10 % noise, `--active` of the interfaces moving) so the hub's JSON and
 * compression work on realistic-looking data, and t = the wall clock at sending, which the
 * browsers use to measure agent→browser latency.
 */
import { PROTOCOL_VERSION, type Topology } from '@hopwatch/shared';
import WebSocket from 'ws';
import { makeIface } from '../test/helpers/data.ts';
import { benchArgs } from './args.ts';

// --first K: host names start at bench-K (bench:fleet runs one of these per hub replica).
const a = benchArgs({ url: '', token: '', agents: 10, ifaces: 1000, active: 0.5, seconds: 60, first: 0 });

function topology(host: string, n: number): Topology {
  const ifaces = Array.from({ length: n }, (_, i) => {
    const netns = `qrouter-${(i >> 3).toString(16).padStart(8, '0')}`;
    const name =
      i % 2 === 0 ? `qr-${i.toString(16).padStart(8, '0')}-ab` : `qg-${i.toString(16).padStart(8, '0')}-cd`;
    return makeIface(`${netns}/${name}`, { ifindex: i + 2 });
  });
  const namespaces = [...new Set(ifaces.map((i) => i.netns))].map((name, k) => ({
    name,
    inode: 4026532000 + k,
    forwarding: true,
  }));
  return { host, kernel: '6.18.0-bench', cpus: 64, namespaces, ifaces, routes: [] };
}

interface Sim {
  host: string;
  ws: WebSocket;
  ids: string[];
  /** Per interface: packets per second, 0 for idle ones. */
  rate: number[];
  seq: number;
  phaseMs: number;
  nextAt: number;
  welcomed: boolean;
}

function sampleFrame(s: Sim, t: number): string {
  let rows = '';
  for (let i = 0; i < s.ids.length; i++) {
    const r = s.rate[i]!;
    if (r === 0) continue;
    const p = Math.round(r * (0.9 + Math.random() * 0.2));
    const q = Math.round(r * (0.9 + Math.random() * 0.2));
    const drop = Math.random() < 0.02 ? Math.floor(Math.random() * 5) : 0;
    const row = [
      p * 900 + Math.floor(Math.random() * 100),
      p,
      0,
      drop,
      0,
      0,
      0,
      0,
      q * 800,
      q,
      0,
      0,
      0,
      0,
      0,
      0,
    ];
    rows += `${rows === '' ? '' : ','}"${s.ids[i]}":[${row.join(',')}]`;
  }
  const softnet = Array.from(
    { length: 64 },
    (_, cpu) =>
      `{"cpu":${cpu},"processed":${Math.floor(Math.random() * 1e5)},"dropped":0,"timeSqueeze":${Math.random() < 0.1 ? 1 : 0},"receivedRps":0,"flowLimit":0,"backlogLen":0}`,
  ).join(',');
  return (
    `{"type":"sample","seq":${s.seq++},"backfill":false,"sample":{"t":${t},"elapsedMs":1000,"ifaces":{${rows}},` +
    `"softnet":[${softnet}],"qdiscs":{},"snmp":{},"drops":[],"sysctls":{"net.core.netdev_max_backlog":1000},` +
    `"tracing":{"state":"on","detail":null,"lost":0}}}`
  );
}

const sims: Sim[] = [];
let sent = 0;
let sentBytes = 0;
let lateMs = 0;
const start = Date.now();
for (let k = 0; k < a.agents; k++) {
  const host = `bench-${String(a.first + k).padStart(4, '0')}`;
  const topo = topology(host, a.ifaces);
  const ws = new WebSocket(`${a.url.replace(/^http/, 'ws')}/ws/agent?protocol=${PROTOCOL_VERSION}`, {
    headers: { authorization: `Bearer ${a.token}` },
    perMessageDeflate: false,
  });
  const sim: Sim = {
    host,
    ws,
    ids: topo.ifaces.map((i) => i.id),
    rate: topo.ifaces.map(() => (Math.random() < a.active ? Math.floor(10 ** (1 + Math.random() * 4)) : 0)),
    seq: 0,
    phaseMs: Math.floor((k / a.agents) * 1000),
    nextAt: 0,
    welcomed: false,
  };
  ws.on('open', () => {
    ws.send(
      JSON.stringify({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        host,
        agentVersion: 'bench',
        instance: `bench-${process.pid}-${k}`,
        intervalMs: 1000,
        tracing: 'off',
      }),
    );
  });
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as { type: string };
    if (m.type !== 'welcome' || sim.welcomed) return;
    sim.welcomed = true;
    ws.send(JSON.stringify({ type: 'topology', seq: sim.seq++, t: Date.now(), topology: topo }));
    const now = Date.now();
    sim.nextAt = Math.ceil((now - sim.phaseMs) / 1000) * 1000 + sim.phaseMs + 1000;
  });
  ws.on('close', (code, reason) => {
    if (!stopping) console.error(`simAgents: ${host} closed ${code} ${reason.toString()}`);
  });
  ws.on('error', (e) => console.error(`simAgents: ${host}: ${e.message}`));
  sims.push(sim);
}

let stopping = false;
const TICK_MS = 5;
const timer = setInterval(() => {
  const now = Date.now();
  for (const s of sims) {
    if (!s.welcomed || now < s.nextAt || s.ws.readyState !== WebSocket.OPEN) continue;
    lateMs = Math.max(lateMs, now - s.nextAt);
    const frame = sampleFrame(s, Date.now());
    s.ws.send(frame);
    sent += 1;
    sentBytes += frame.length;
    s.nextAt += 1000;
    if (s.nextAt < now) s.nextAt = Math.ceil(now / 1000) * 1000 + s.phaseMs;
  }
  if (now - start > a.seconds * 1000) stop();
}, TICK_MS);

function stop(): void {
  if (stopping) return;
  stopping = true;
  clearInterval(timer);
  for (const s of sims) s.ws.close();
  console.log(JSON.stringify({ sent, sentBytes, worstSendLagMs: lateMs }));
  setTimeout(() => process.exit(0), 500);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
