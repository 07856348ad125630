/**
 * npm run bench:fleet -- [--agents N] [--ifaces I] [--replicas R] [--nodes 1|3] [--browsers M]
 *                        [--seconds S] [--warmup W] [--seeks K] [--span L] [--seekwarmup J]
 *
 * N simulated agents × I interfaces at 1 Hz spread evenly over R hub replicas (`hopwatch hub
 * --nats`, each its own process) on a NATS JetStream of `--nodes` servers (127.0.0.1, own ports,
 * started and stopped by pid). Browsers on the first replica watch hosts whose agents are on
 * another one (the live path through NATS) when R > 1. Prints hub CPU per agent-sample (all
 * replicas), NATS CPU and stored bytes per interface-hour, live latency p50/p99 and seek latency
 * (a fresh replica reading L s, default 30, of a host it does not hold; the web app's replay pages
 * are 10 s; the first J seeks, default 0, warm the fresh replica up and are not counted). Run under `flock
 * /tmp/hopwatch-root.lock`: it wants the machine's two cores to itself. BENCH_NODE_FLAGS: node flags
 * for every replica; BENCH_HUB_LOG=DIR: each replica's stdout to DIR/NAME.log (--trace-gc-nvp).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsCluster } from '../test/helpers/natsCluster.ts';
import { benchArgs } from './args.ts';
import { CLK_TCK, cpuTicks, HUB_NODE_FLAGS } from './proc.ts';

const a = benchArgs({
  agents: 60,
  ifaces: 1000,
  replicas: 2,
  nodes: 1,
  browsers: 4,
  seconds: 40,
  warmup: 15,
  seeks: 10,
  span: 30,
  seekwarmup: 0,
  active: 0.5,
});
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const TOKEN = 'bench-token';
const ACCESS = 'bench-access-token-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];
let cluster: NatsCluster | null = null;

const auth = { authorization: `Bearer ${ACCESS}` };
async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics?host=none`, { headers: auth })).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
}

function lastJson(out: string): Record<string, number | null> {
  try {
    return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, number | null>;
  } catch {
    return {};
  }
}

function run(args: string[]): { child: ChildProcess; out: Promise<string> } {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    const s = d.toString();
    if (/warning|error/.test(s)) process.stderr.write(s);
  });
  return { child, out: new Promise((r) => child.on('exit', () => r(out))) };
}

async function replica(dir: string, name: string): Promise<{ url: string; pid: number }> {
  const { child } = run([
    ...HUB_NODE_FLAGS,
    'bin/hopwatch.mjs',
    'hub',
    ...['--port', '0', '--db', join(dir, `${name}.db`), '--agent-token', TOKEN],
    ...['--access-token-file', join(dir, 'access.token'), '--retention-mb', '1500'],
    ...['--nats', cluster!.urls.join(','), '--replica-name', name],
  ]);
  // BENCH_HUB_LOG=DIR: each replica's stdout (e.g. --trace-gc-nvp in BENCH_NODE_FLAGS) to DIR/NAME.log.
  if (process.env.BENCH_HUB_LOG)
    child.stdout!.pipe(createWriteStream(join(process.env.BENCH_HUB_LOG, `${name}.log`)));
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /hopwatch hub: (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1]!, pid: child.pid! });
    });
    child.on('exit', (code) => reject(new Error(`replica ${name} exited (${code})`)));
  });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hopwatch-fleetbench-'));
  writeFileSync(join(dir, 'access.token'), `${ACCESS}\n`, { mode: 0o600 });
  console.log(
    `bench:fleet: ${a.agents} agents × ${a.ifaces} interfaces at 1 Hz over ${a.replicas} replica(s), ` +
      `NATS ${a.nodes === 1 ? 'single server (R1)' : `${a.nodes}-node cluster (R3)`}, ${a.browsers} browsers, ` +
      `${a.warmup} s warm-up + ${a.seconds} s measured`,
  );
  cluster = await NatsCluster.start(a.nodes);
  const reps: { url: string; pid: number }[] = [];
  for (let r = 0; r < a.replicas; r++) reps.push(await replica(dir, `r${r}`));
  const per = Math.ceil(a.agents / a.replicas);
  const agentRuns = reps.map((rep, r) =>
    run([
      ...['--import', 'tsx', join(HERE, 'simAgents.ts')],
      ...['--url', rep.url, '--token', TOKEN, '--agents', String(Math.min(per, a.agents - r * per))],
      ...['--first', String(r * per), '--ifaces', String(a.ifaces), '--active', String(a.active)],
      ...['--seconds', String(a.warmup + a.seconds + 60)],
    ]),
  );
  const connectBy = Date.now() + 90_000;
  for (;;) {
    let n = 0;
    for (const rep of reps) n += await metric(rep.url, 'hopwatch_agents_connected').catch(() => 0);
    if (n >= a.agents) break;
    if (Date.now() > connectBy) throw new Error(`only ${n} of ${a.agents} agents connected within 90 s`);
    await sleep(250);
  }
  // Browsers on replica 0 watching hosts held by replica 1 (through NATS), else by replica 0.
  const watchFirst = a.replicas > 1 ? per : 0;
  const browsers = run([
    ...['--import', 'tsx', join(HERE, 'simBrowsers.ts')],
    ...['--url', reps[0]!.url, '--token', ACCESS, '--browsers', String(a.browsers), '--watch', '1'],
    ...['--agents', String(Math.min(per, a.agents - watchFirst)), '--first', String(watchFirst)],
    ...['--warmup', String(a.warmup)],
  ]);
  await sleep(a.warmup * 1000);
  const natsPids = cluster.nodes.map((n) => n.proc!.pid!);
  const hubCpu0 = reps.reduce((s, r) => s + cpuTicks(r.pid), 0);
  const natsCpu0 = natsPids.reduce((s, p) => s + cpuTicks(p), 0);
  let samples0 = 0;
  for (const rep of reps) samples0 += await metric(rep.url, 'hopwatch_samples_recorded_total');
  const t0 = Date.now();
  await sleep(a.seconds * 1000);
  const wallS = (Date.now() - t0) / 1000;
  const hubCpuS = (reps.reduce((s, r) => s + cpuTicks(r.pid), 0) - hubCpu0) / CLK_TCK;
  const natsCpuS = (natsPids.reduce((s, p) => s + cpuTicks(p), 0) - natsCpu0) / CLK_TCK;
  let samples1 = 0;
  for (const rep of reps) samples1 += await metric(rep.url, 'hopwatch_samples_recorded_total');
  browsers.child.kill('SIGTERM');
  const br = lastJson(await browsers.out);

  // Seeks: a replica that holds none of these hosts (a fresh one) reads 30 s of each.
  const reader = await replica(dir, 'reader');
  const seekMs: number[] = [];
  const seekParts: Record<string, number[]> = {};
  for (let k = 0; k < a.seekwarmup + a.seeks; k++) {
    const host = `bench-${String((k * 7) % a.agents).padStart(4, '0')}`;
    const end = Date.now() - 15_000;
    const t = performance.now();
    const res = await fetch(
      `${reader.url}/api/hosts/${host}/recording?start=${end - a.span * 1000}&end=${end}`,
      { headers: auth },
    );
    const body = (await res.json()) as { samples?: unknown[] };
    if (k >= a.seekwarmup) {
      seekMs.push(performance.now() - t);
      // The reader's own account (Server-Timing): load, read (decode), json; the rest is sending and this client.
      for (const m of (res.headers.get('server-timing') ?? '').matchAll(/(\w+);dur=([\d.]+)/g)) {
        const list = seekParts[m[1]!] ?? [];
        list.push(Number(m[2]));
        seekParts[m[1]!] = list;
      }
    }
    if (!res.ok || (body.samples?.length ?? 0) === 0)
      console.log(`  seek of ${host}: ${res.status}, no samples`);
  }
  for (const r of agentRuns) r.child.kill('SIGTERM');
  await Promise.all(agentRuns.map((r) => r.out));

  const nc = await connect({ servers: cluster.urls });
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info('HOPWATCH_CHUNKS');
  const sums = await jsm.streams.info('HOPWATCH_SUMMARIES');
  await nc.close();
  const recorded = samples1 - samples0;
  const storedSamples = samples1; // every sample recorded went to the stream (bytes are since start)
  const ifaceHours = (storedSamples * a.ifaces) / 3600;
  const copies = a.nodes >= 3 ? 3 : 1;
  const rows: [string, string][] = [
    ['samples recorded in window', `${recorded} (${(recorded / wallS).toFixed(1)}/s)`],
    [
      'hub CPU (all replicas)',
      `${(hubCpuS / wallS).toFixed(3)} cores; per agent-sample ${((hubCpuS * 1000) / recorded).toFixed(3)} ms ` +
        `→ ${(recorded / wallS / (hubCpuS / wallS)).toFixed(0)} agents per hub core`,
    ],
    [
      'NATS CPU (all servers)',
      `${(natsCpuS / wallS).toFixed(3)} cores; per agent-sample ${((natsCpuS * 1000) / recorded).toFixed(3)} ms`,
    ],
    [
      'NATS stored bytes per interface-hour',
      `${(info.state.bytes / ifaceHours).toFixed(0)} B chunks + ${(sums.state.bytes / ifaceHours).toFixed(1)} B summaries (one copy; ×${copies} on disk)`,
    ],
    ['live latency p50 / p99 / max', `${br.p50} / ${br.p99} / ${br.max} ms (${br.frames} frames)`],
    [
      `seek latency (fresh replica, ${a.span} s of a host${a.seekwarmup ? `, after ${a.seekwarmup} uncounted` : ''}) p50 / p99 / max`,
      `${pct(seekMs, 50).toFixed(0)} / ${pct(seekMs, 99).toFixed(0)} / ${Math.max(...seekMs).toFixed(0)} ms`,
    ],
    ...Object.entries(seekParts).map(([part, ms]): [string, string] => [
      `  of which the reader's ${part} p50 / p99`,
      `${pct(ms, 50).toFixed(0)} / ${pct(ms, 99).toFixed(0)} ms`,
    ]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
  rmSync(dir, { recursive: true, force: true });
}

main()
  .catch((e: Error) => {
    console.error(`bench:fleet failed: ${e.stack ?? e.message}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    // SIGTERM first: a hub stopped cleanly writes its --cpu-prof profile (BENCH_NODE_FLAGS).
    const alive = () => children.filter((c) => c.exitCode === null && c.signalCode === null);
    for (const c of alive()) c.kill('SIGTERM');
    for (let i = 0; i < 50 && alive().length > 0; i++) await sleep(100);
    for (const c of alive()) c.kill('SIGKILL');
    await cluster?.stop();
  });
