/**
 * `lab traffic`: a rate-limited UDP flood from hwlab-up/wan0 to an address of the lab, received
 * by a counting sink in the destination namespace, and optionally the seed's counted ping probe.
 * Traffic only ever goes to the lab's own addresses (team rule: no traffic leaves namespaces
 * we created).
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SENDER_CPU } from './faults.ts';
import { type ProbeResult, parsePingSummary, probeArgv, PROBE_INTERVAL_S } from './probe.ts';
import {
  DECOY_GW_ADDR,
  NS_DECOY,
  NS_ROUTER,
  NS_UP,
  NS_VM,
  ROUTER_GW_ADDR,
  ROUTER_LAN_ADDR,
  VM_ADDR,
} from './topology.ts';

/** Destination address → the namespace its sink runs in. Nothing else is a valid target. */
export const TRAFFIC_TARGETS: Readonly<Record<string, string>> = {
  [ROUTER_GW_ADDR]: NS_ROUTER,
  [ROUTER_LAN_ADDR]: NS_ROUTER,
  [DECOY_GW_ADDR]: NS_DECOY,
  [VM_ADDR]: NS_VM,
};

export const TRAFFIC_DEFAULTS = {
  /** 10 kpps: with the backlog fault's defaults this loses ~0.2 % on qg-a1 (faults.ts). */
  rate: 10_000,
  seconds: 10,
  /** Full-size frames (1500-byte IP packets), so the mtu fault drops them. */
  size: 1472,
  to: ROUTER_GW_ADDR,
  port: 9000,
} as const;

export const MAX_RATE_PPS = 200_000;
export const MAX_PAYLOAD_BYTES = 1472;
/** One socket per flow in the sender. */
export const MAX_FLOWS = 4096;

export interface TrafficOptions {
  /** Packets per second of the UDP flood; 0 for no flood (probe only). */
  rate?: number;
  /** How long; 0 runs until stop(). */
  seconds?: number;
  /** UDP payload bytes. */
  size?: number;
  to?: string;
  port?: number;
  /** Also run the counted ping probe (100 per second, spanning the flood). */
  probe?: boolean;
  /** Probe count (default: 100 per second of traffic, or 4000 like the seed when unbounded). */
  probeCount?: number;
  /** UDP flows (source ports) the flood is spread over (default 1); the conntrack fault needs many. */
  flows?: number;
  /** Background packets per second that are not loss: to a closed port and to a multicast group. */
  noise?: number;
}

export interface ResolvedTraffic {
  rate: number;
  seconds: number;
  size: number;
  to: string;
  port: number;
  sinkNetns: string;
  probeCount: number | null;
  flows: number;
  noise: number;
}

export function resolveTraffic(
  o: TrafficOptions,
): { ok: true; t: ResolvedTraffic } | { ok: false; error: string } {
  const t = {
    rate: o.rate ?? TRAFFIC_DEFAULTS.rate,
    seconds: o.seconds ?? TRAFFIC_DEFAULTS.seconds,
    size: o.size ?? TRAFFIC_DEFAULTS.size,
    to: o.to ?? TRAFFIC_DEFAULTS.to,
    port: o.port ?? TRAFFIC_DEFAULTS.port,
  };
  const sinkNetns = TRAFFIC_TARGETS[t.to];
  if (sinkNetns === undefined) {
    return {
      ok: false,
      error: `--to must be one of the lab's addresses: ${Object.keys(TRAFFIC_TARGETS).join(', ')}`,
    };
  }
  if (!Number.isInteger(t.rate) || t.rate < 0 || t.rate > MAX_RATE_PPS) {
    return { ok: false, error: `rate must be an integer from 0 to ${MAX_RATE_PPS} pps` };
  }
  if (!(t.seconds >= 0)) return { ok: false, error: 'seconds must be >= 0' };
  if (!Number.isInteger(t.size) || t.size < 1 || t.size > MAX_PAYLOAD_BYTES) {
    return { ok: false, error: `size must be 1..${MAX_PAYLOAD_BYTES} bytes (a 1500-byte frame at most)` };
  }
  if (t.rate === 0 && !o.probe) return { ok: false, error: 'nothing to send: rate 0 and no probe' };
  const probeCount = o.probe
    ? (o.probeCount ?? (t.seconds > 0 ? Math.max(1, Math.round(t.seconds / PROBE_INTERVAL_S)) : 4000))
    : null;
  const flows = o.flows ?? 1;
  const noise = o.noise ?? 0;
  if (!Number.isInteger(flows) || flows < 1 || flows > MAX_FLOWS) {
    return { ok: false, error: `flows must be an integer from 1 to ${MAX_FLOWS}` };
  }
  if (!Number.isInteger(noise) || noise < 0 || noise > 10_000) {
    return { ok: false, error: 'noise must be an integer from 0 to 10000 packets a second' };
  }
  return { ok: true, t: { ...t, sinkNetns, probeCount, flows, noise } };
}

/** Defined as `true` only inside dist/hopwatch.mjs, where the scripts sit in dist/lab/. */
declare const HOPWATCH_BUNDLE_LAYOUT: boolean | undefined;
const TRAFFIC_DIR = typeof HOPWATCH_BUNDLE_LAYOUT !== 'undefined' ? './lab/' : './traffic/';
const SENDER = fileURLToPath(new URL(`${TRAFFIC_DIR}sender.mjs`, import.meta.url));
const SINK = fileURLToPath(new URL(`${TRAFFIC_DIR}sink.mjs`, import.meta.url));

/** The sender's pacing tick (see sender.mjs: bursts of rate/1000 packets, ~17 % of a CPU at 10 kpps). */
export const SEND_TICK_MS = 1;

/** The flood on CPU 0, so RPS (faults.ts) always steers the faulted hop to a different CPU. */
export function senderArgv(t: ResolvedTraffic, node = process.execPath): string[] {
  return [
    'netns',
    'exec',
    NS_UP,
    'taskset',
    '-c',
    String(SENDER_CPU),
    node,
    SENDER,
    '--to',
    t.to,
    '--port',
    String(t.port),
    '--rate',
    String(t.rate),
    '--seconds',
    String(t.seconds),
    '--size',
    String(t.size),
    '--tick-ms',
    String(SEND_TICK_MS),
    ...(t.flows > 1 ? ['--flows', String(t.flows)] : []),
    ...(t.noise > 0 ? ['--noise', String(t.noise)] : []),
  ];
}

/**
 * The sink shares CPU 0 with the (mostly sleeping) sender, away from the backlog fault's RPS
 * target: on the RPS CPU it competed with the softirq work steered there and, under a running
 * `diagnose`, overflowed its 8 MB socket buffer (Udp.RcvbufErrors, R17) — loss the lab caused,
 * not the fault.
 */
export function sinkArgv(t: ResolvedTraffic, node = process.execPath): string[] {
  return [
    'netns',
    'exec',
    t.sinkNetns,
    'taskset',
    '-c',
    String(SENDER_CPU),
    node,
    SINK,
    '--addr',
    t.to,
    '--port',
    String(t.port),
  ];
}

export interface FloodResult {
  sent: number;
  received: number;
  lost: number;
  lossRatio: number;
  /** Sends the kernel refused (e.g. no route while a hop is down). */
  errors: number;
  elapsedMs: number;
}

export interface TrafficResult {
  to: string;
  port: number;
  rate: number;
  size: number;
  flood: FloodResult | null;
  probe: ProbeResult | null;
}

export interface TrafficHandle {
  /** Ends the traffic early; resolves to what was sent and received. */
  stop(): Promise<TrafficResult>;
  /** Resolves when the traffic ran its course (or was stopped). */
  done: Promise<TrafficResult>;
}

interface Child {
  proc: ChildProcessWithoutNullStreams;
  out: Promise<{ stdout: string; stderr: string; code: number }>;
}

function child(args: string[]): Child {
  // Own process group: a Ctrl-C at the terminal reaches the parent only, which then stops the
  // sender first and the sink after the drain, so packets in flight are counted, not "lost".
  // A parent that dies anyway closes their stdin, and the sender and sink stop on that.
  const proc = spawn('ip', args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const out = new Promise<{ stdout: string; stderr: string; code: number }>((resolve) => {
    proc.on('error', (e) => resolve({ stdout, stderr: `${stderr}${e.message}`, code: 1 }));
    proc.on('close', (code) => resolve({ stdout, stderr, code: code ?? 1 }));
  });
  return { proc, out };
}

function lastJson<T>(text: string): T | null {
  const line = text.trim().split('\n').at(-1);
  try {
    return line ? (JSON.parse(line) as T) : null;
  } catch {
    return null;
  }
}

const SINK_READY_TIMEOUT_MS = 5_000;
/** After the sender stops, packets still in flight through 13 hops need a moment to land. */
const DRAIN_MS = 200;

export function startTraffic(opts: TrafficOptions = {}): TrafficHandle {
  const r = resolveTraffic(opts);
  if (!r.ok) {
    const failed = Promise.reject(new Error(`lab traffic: ${r.error}`));
    failed.catch(() => {});
    return { stop: () => failed, done: failed };
  }
  const t = r.t;
  let stopping = false;
  let sender: Child | null = null;
  let probe: Child | null = null;
  let sink: Child | null = null;

  const run = async (): Promise<TrafficResult> => {
    if (t.rate > 0) {
      sink = child(sinkArgv(t));
      await waitReady(sink);
      if (!stopping) sender = child(senderArgv(t));
    }
    if (t.probeCount !== null && !stopping) probe = child(probeArgv(t.to, t.probeCount));
    const [s, p] = await Promise.all([sender?.out, probe?.out]);
    let flood: FloodResult | null = null;
    if (sink) {
      await new Promise((res) => setTimeout(res, DRAIN_MS));
      (sink as Child).proc.kill('SIGTERM');
      const k = await (sink as Child).out;
      const sent = s ? lastJson<{ sent: number; errors: number; elapsedMs: number }>(s.stdout) : null;
      const got = lastJson<{ received: number }>(k.stdout);
      if (s && !sent) throw new Error(`lab traffic: the sender failed: ${s.stderr.trim()}`);
      const received = got?.received ?? 0;
      const n = sent?.sent ?? 0;
      const lost = Math.max(0, n - received);
      flood = {
        sent: n,
        received,
        lost,
        lossRatio: n === 0 ? 0 : lost / n,
        errors: sent?.errors ?? 0,
        elapsedMs: sent?.elapsedMs ?? 0,
      };
    }
    let probeResult: ProbeResult | null = null;
    if (p) {
      probeResult = parsePingSummary(t.to, p.stdout);
      if (!probeResult) throw new Error(`lab traffic: ping printed no summary: ${p.stdout}${p.stderr}`);
    }
    return { to: t.to, port: t.port, rate: t.rate, size: t.size, flood, probe: probeResult };
  };

  const done = run();
  done.catch(() => {});
  return {
    done,
    stop() {
      stopping = true;
      sender?.proc.kill('SIGTERM');
      // SIGINT: ping prints its summary on it (SIGTERM would kill it silently).
      probe?.proc.kill('SIGINT');
      if (!sender && sink) (sink as Child).proc.kill('SIGTERM');
      return done;
    },
  };
}

async function waitReady(c: Child): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('lab traffic: the sink did not start (is the lab up?)')),
      SINK_READY_TIMEOUT_MS,
    );
    const onData = (d: string) => {
      if (d.includes('ready')) {
        clearTimeout(timer);
        c.proc.stdout.off('data', onData);
        resolve();
      }
    };
    c.proc.stdout.on('data', onData);
    c.out.then((o) => {
      clearTimeout(timer);
      reject(new Error(`lab traffic: the sink exited: ${o.stderr.trim() || o.stdout.trim()}`));
    });
  });
}
