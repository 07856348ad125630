/**
 * npm run bench:agent (root, under flock /tmp/hopwatch-root.lock): the agent as operators run it.
 * 100 namespaces, ~1000 interfaces; the bundled single-file agent (`node dist/hopwatch-agent.mjs`,
 * built first if stale) streaming to a real hub (`node dist/hopwatch.mjs hub`) at 1 Hz. It reports
 * the CPU of the agent process and every process under it (holders, ip monitor, tc, trace_pipe
 * reader) per sample, separately for the first 30 s and the steady state after, and its RSS; then,
 * in the same run, the script an operator would write (`ip -n NS -s -j link` for every namespace).
 * Targets: ≤ 10 ms CPU per sample steady, ≤ 20 ms in the first 30 s, RSS ≤ 60 MB. Everything it
 * builds is removed at the end, also on failure or Ctrl-C.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { cpuWithChildrenMs } from './cpu.ts';
import { BENCH_NS, buildLab, destroyLab, nsName } from './lab.ts';
import { minorFaults, threadCpuMs, treeCpuMs, treeMemoryMb } from './proctree.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const NAMESPACES = 100;
/** 4 pairs inside + lo + the host pair's end = 10 per namespace, 1000 in namespaces, +100 on the host. */
const PAIRS_PER_NS = 4;
/**
 * Interfaces just brought up chatter for a while (IPv6 DAD, router solicitations, MLD reports),
 * which moves counters in every namespace and fires address events; the agent also starts its
 * holders and reads everything once. That phase is reported on its own (target ≤ 20 ms).
 */
const WARMUP_SECONDS = 30;
/**
 * Three minutes: RSS climbs for the first of them (the ring's minute of frames, V8's old
 * generation up to its first full collection); a 60 s window reported 59-61 MB for an agent that
 * went on to 66 MB (apps/agent/README.md, Cost).
 */
const STEADY_SECONDS = Number(process.env.BENCH_SECONDS ?? 180);
const OPERATOR_SWEEPS = 5;
const TARGET_STEADY_MS = 10;
const TARGET_WARMUP_MS = 20;
const TARGET_RSS_MB = 60;
const AGENT_TOKEN = 'bench-agent-token';

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const total = (c: { selfMs: number; childrenMs: number }) => c.selfMs + c.childrenMs;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The node flags packaging/hopwatch-agent.service runs the agent with: measure what operators run. */
function unitNodeFlags(): string[] {
  const unit = readFileSync(join(ROOT, 'packaging/hopwatch-agent.service'), 'utf8');
  const exec = /^ExecStart=\S*node((?: --\S+)*) \S*hopwatch-agent\.mjs/m.exec(unit);
  if (!exec)
    throw new Error('packaging/hopwatch-agent.service: no ExecStart=…node … hopwatch-agent.mjs line');
  return exec[1]!.split(' ').filter(Boolean);
}

/** The unit's `Environment=NAME=VALUE` lines (e.g. MALLOC_ARENA_MAX): the agent runs with them here too. */
function unitEnvironment(): Record<string, string> {
  const unit = readFileSync(join(ROOT, 'packaging/hopwatch-agent.service'), 'utf8');
  const env: Record<string, string> = {};
  for (const m of unit.matchAll(/^Environment=(\w+)=(\S*)$/gm)) env[m[1]!] = m[2]!;
  return env;
}

async function waitForOutput(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<void> {
  let seen = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${re} within ${timeoutMs} ms:\n${seen}`)), timeoutMs);
    const on = (b: Buffer) => {
      seen += b.toString();
      if (re.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ${re}:\n${seen}`)));
  });
}

async function stopChild(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** What a signal must stop: the hub and agent this run started, and its directory. */
const running: { children: ChildProcess[]; dir: string | null } = { children: [], dir: null };

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.error('bench:agent needs root (it builds 100 network namespaces)');
    process.exitCode = 2;
    return;
  }
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-dist.mjs')], { stdio: 'inherit' });
  destroyLab();
  let t = performance.now();
  buildLab(NAMESPACES, PAIRS_PER_NS);
  console.log(`built ${NAMESPACES} namespaces in ${fmt((performance.now() - t) / 1000)} s`);

  const dir = mkdtempSync(join(tmpdir(), 'hopwatch-bench-agent-'));
  running.dir = dir;
  let hub: ChildProcess | null = null;
  let agent: ChildProcess | null = null;
  let pair: ChildProcess | null = null;
  try {
    const port = await freePort();
    hub = spawn(
      process.execPath,
      [
        join(ROOT, 'dist/hopwatch.mjs'),
        'hub',
        '--port',
        String(port),
        '--db',
        join(dir, 'hub.db'),
        '--agent-token',
        AGENT_TOKEN,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOPWATCH_ACCESS_TOKEN: 'bench' } },
    );
    running.children.push(hub);
    await waitForOutput(hub, /hopwatch hub: http/, 30_000);
    const tokenFile = join(dir, 'agent-token');
    writeFileSync(tokenFile, AGENT_TOKEN, { mode: 0o600 });
    t = performance.now();
    console.log(
      `agent: ${Object.entries(unitEnvironment())
        .map(([k, v]) => `${k}=${v} `)
        .join(
          '',
        )}node ${unitNodeFlags().join(' ')} ${process.env.BENCH_AGENT ?? 'dist/hopwatch-agent.mjs'} (the systemd unit's environment and node flags)`,
    );
    const spawnAgent = (file: string, name: string) =>
      spawn(
        process.execPath,
        [
          ...unitNodeFlags(),
          // e.g. BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof", then bench/profile.ts on it.
          ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
          file,
          ...['--hub', `ws://127.0.0.1:${port}`, '--name', name, '--netns', `${BENCH_NS}*,@host`],
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, ...unitEnvironment(), HOPWATCH_TOKEN: AGENT_TOKEN },
        },
      );
    // BENCH_AGENT=FILE: another build of the agent (e.g. the previous commit's), for before/after.
    agent = spawnAgent(process.env.BENCH_AGENT ?? join(ROOT, 'dist/hopwatch-agent.mjs'), 'bench');
    running.children.push(agent);
    const pid = agent.pid as number;
    // BENCH_AGENT_LOG=FILE: the agent's own output, for reading what it did (re-probes, warnings).
    if (process.env.BENCH_AGENT_LOG) {
      const log = createWriteStream(process.env.BENCH_AGENT_LOG);
      // Two sources into one file: neither ends it (the first to end would make the other's next
      // write a "write after end"); it ends once the child's output is all in ('close').
      agent.stdout?.pipe(log, { end: false });
      agent.stderr?.pipe(log, { end: false });
      agent.once('close', () => log.end());
    }
    // BENCH_PAIR=FILE: a second build side by side with the first, on the same lab and hub: the
    // same chatter and the same noise from the rest of the machine, the same windows. Each costs
    // more than alone (two agents and a hub on the VM's two cores); the difference is the figure.
    if (process.env.BENCH_PAIR) {
      pair = spawnAgent(process.env.BENCH_PAIR, 'pair');
      running.children.push(pair);
    }
    await Promise.all([
      waitForOutput(agent, /connected to hub/, 60_000),
      pair && waitForOutput(pair, /connected to hub/, 60_000),
    ]);
    const started = treeCpuMs(pid);
    console.log(
      `agent process start (node, holders, discovery, tracefs) to connected: ${fmt(performance.now() - t, 0)} ms wall, ` +
        `${fmt(total(started), 0)} ms CPU, RSS ${fmt(treeMemoryMb(pid).rssMb, 0)} MB`,
    );

    const w0 = treeCpuMs(pid);
    const f0 = minorFaults(pid);
    const pairPid = pair?.pid;
    const p0 = pairPid === undefined ? null : treeCpuMs(pairPid);
    let rssMax = 0;
    for (let i = 0; i < WARMUP_SECONDS; i++) {
      await sleep(1000);
      rssMax = Math.max(rssMax, treeMemoryMb(pid).rssMb);
    }
    const w1 = treeCpuMs(pid);
    const p1 = pairPid === undefined ? null : treeCpuMs(pairPid);
    const t1 = threadCpuMs(pid);
    const rssWarmMax = rssMax;
    const f1 = minorFaults(pid);
    const warm = (total(w1) - total(w0)) / WARMUP_SECONDS;
    console.log(
      `warm-up, first ${WARMUP_SECONDS} s: ${fmt(warm, 2)} ms CPU per sample ` +
        `(${fmt((w1.selfMs - w0.selfMs) / WARMUP_SECONDS, 2)} agent + ${fmt((w1.childrenMs - w0.childrenMs) / WARMUP_SECONDS, 2)} children) ` +
        `[target ≤ ${TARGET_WARMUP_MS}]`,
    );
    for (let i = 0; i < STEADY_SECONDS; i++) {
      await sleep(1000);
      rssMax = Math.max(rssMax, treeMemoryMb(pid).rssMb);
    }
    const s1 = treeCpuMs(pid);
    const p2 = pairPid === undefined ? null : treeCpuMs(pairPid);
    const t2 = threadCpuMs(pid);
    const f2 = minorFaults(pid);
    const steady = (total(s1) - total(w1)) / STEADY_SECONDS;
    console.log(
      `steady state, next ${STEADY_SECONDS} s: ${fmt(steady, 2)} ms CPU per sample ` +
        `(${fmt((s1.selfMs - w1.selfMs) / STEADY_SECONDS, 2)} agent process + ` +
        `${fmt((s1.childrenMs - w1.childrenMs) / STEADY_SECONDS, 2)} children: holders, ip monitor, tc, trace_pipe reader, every ip/nft it ran) ` +
        `[target ≤ ${TARGET_STEADY_MS}]`,
    );
    const perS = (a: number, b: number) => fmt((b - a) / STEADY_SECONDS, 2);
    console.log(
      `  its threads: main ${perS(t1.mainUserMs, t2.mainUserMs)} user + ${perS(t1.mainSystemMs, t2.mainSystemMs)} system ` +
        `(the kernel generating what it reads), the others (V8 helpers, libuv) ${perS(t1.otherMs, t2.otherMs)} ms per sample; ` +
        `minor page faults per sample ${fmt((f1 - f0) / WARMUP_SECONDS, 0)} warm-up, ${fmt((f2 - f1) / STEADY_SECONDS, 0)} steady`,
    );
    if (p0 !== null && p1 !== null && p2 !== null) {
      const pairWarm = (total(p1) - total(p0)) / WARMUP_SECONDS;
      const pairSteady = (total(p2) - total(p1)) / STEADY_SECONDS;
      console.log(
        `side by side (BENCH_PAIR=${process.env.BENCH_PAIR}): warm-up ${fmt(warm, 2)} against ${fmt(pairWarm, 2)} ms, ` +
          `steady ${fmt(steady, 2)} against ${fmt(pairSteady, 2)} ms per sample (this build ${steady <= pairSteady ? '' : '+'}${fmt(steady - pairSteady, 2)} ms); ` +
          'both higher than alone, the targets are for a run without BENCH_PAIR',
      );
      await stopChild(pair);
      pair = null;
    }
    const mem = treeMemoryMb(pid);
    console.log(
      `RSS: agent process max ${fmt(rssMax, 0)} MB (first ${WARMUP_SECONDS} s ${fmt(rssWarmMax, 0)}), at the end ${fmt(mem.rssMb, 0)} MB ` +
        `(${fmt(mem.anonMb, 0)} anonymous + ${fmt(mem.fileMb, 0)} file-backed) [target ≤ ${TARGET_RSS_MB}]; ` +
        `its ${mem.children} descendant processes ${fmt(mem.childrenPssMb, 0)} MB PSS`,
    );
    await stopChild(agent);
    agent = null;

    // The operator's script: for ns in $(ip netns); do ip -n $ns -s -j link; done
    const names = Array.from({ length: NAMESPACES }, (_, i) => nsName(i));
    const o0 = cpuWithChildrenMs();
    t = performance.now();
    for (let s = 0; s < OPERATOR_SWEEPS; s++) {
      spawnSync('ip', ['-s', '-j', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
      for (const n of names)
        spawnSync('ip', ['-n', n, '-s', '-j', 'link'], { stdio: ['ignore', 'pipe', 'ignore'] });
    }
    const o1 = cpuWithChildrenMs();
    const operator = (total(o1) - total(o0)) / OPERATOR_SWEEPS;
    console.log(
      `operator script (ip -n NS -s -j link for the host and each of ${NAMESPACES} namespaces), ${OPERATOR_SWEEPS} sweeps: ` +
        `${fmt(operator, 0)} ms CPU per sweep incl. children, ${fmt((performance.now() - t) / OPERATOR_SWEEPS, 0)} ms wall`,
    );
    console.log(`ratio: the agent process costs 1/${fmt(operator / steady, 0)} of the script per sample`);
    if (process.env.BENCH_PAIR) return; // shared cores: the targets do not apply
    if (steady > TARGET_STEADY_MS || warm > TARGET_WARMUP_MS || rssMax > TARGET_RSS_MB) process.exitCode = 1;
  } finally {
    await stopChild(agent);
    await stopChild(pair);
    await stopChild(hub);
    rmSync(dir, { recursive: true, force: true });
    destroyLab();
  }
}

// Ctrl-C reaches the children too, a `kill` of this process alone does not: stop them either way
// (the agent removes its tracefs instance on SIGTERM), then the lab. A second signal while that
// runs is ignored (it would end the process half-way); main() failing because its children were
// stopped is not reported, the exit code says the run was stopped.
let stopping = false;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all(running.children.map(stopChild));
    if (running.dir !== null) rmSync(running.dir, { recursive: true, force: true });
    destroyLab();
    process.exit(code);
  });
await main().catch((e: unknown) => {
  if (!stopping) throw e;
});
