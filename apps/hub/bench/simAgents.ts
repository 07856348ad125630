/**
 * N simulated agents in one process (bench only): each sends its topology, then one sample a
 * second, phases spread evenly over the second. Counters are fresh numbers every second
 * (heavy-tailed rates, ±10 % noise, `--active` of the interfaces moving) so the hub's JSON and
 * compression work on realistic-looking data, and t = the wall clock at sending, which the
 * browsers use to measure agent→browser latency.
 */
import { PROTOCOL_VERSION } from '@hopwatch/shared';
import WebSocket from 'ws';
import { benchArgs } from './args.ts';
import { synthRates, synthSampleFrame, synthTopology } from './synthHost.ts';

// --first K: host names start at bench-K (bench:fleet runs one of these per hub replica).
const a = benchArgs({ url: '', token: '', agents: 10, ifaces: 1000, active: 0.5, seconds: 60, first: 0 });

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
  return synthSampleFrame(s.ids, s.rate, s.seq++, t);
}

const sims: Sim[] = [];
let sent = 0;
let sentBytes = 0;
let lateMs = 0;
const start = Date.now();
for (let k = 0; k < a.agents; k++) {
  const host = `bench-${String(a.first + k).padStart(4, '0')}`;
  const topo = synthTopology(host, a.ifaces);
  const ws = new WebSocket(`${a.url.replace(/^http/, 'ws')}/ws/agent?protocol=${PROTOCOL_VERSION}`, {
    headers: { authorization: `Bearer ${a.token}` },
    perMessageDeflate: false,
  });
  const sim: Sim = {
    host,
    ws,
    ids: topo.ifaces.map((i) => i.id),
    rate: synthRates(a.ifaces, a.active),
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
