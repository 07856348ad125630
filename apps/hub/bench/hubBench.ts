/**
 * npm run bench:hub -- [--agents N] [--ifaces I] [--browsers M] [--watch K] [--slow B]
 *                      [--seconds S] [--warmup W] [--active FRACTION]
 *
 * One hub (pinned to CPU 0 when taskset exists), N simulated agents × I interfaces at 1 Hz and M
 * simulated browsers in two other processes (pinned to CPU 1), so the hub's own CPU can be read
 * from /proc/<pid>/stat. Prints hub CPU per agent-sample and in cores, RSS, agent→browser latency
 * p50/p99, and recording bytes per interface-hour. Target: 200 × 1000 on one core, p99 < 500 ms.
 * Run under `flock /tmp/hopwatch-root.lock` so it does not share the 2 cores with another bench.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { benchArgs } from './args.ts';
import { CLK_TCK, cpuTicks, HUB_NODE_FLAGS } from './proc.ts';

const a = benchArgs({
  agents: 200,
  ifaces: 1000,
  browsers: 10,
  watch: 1,
  slow: 0,
  seconds: 60,
  warmup: 15,
  active: 0.5,
});
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const TOKEN = 'bench-token';
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

function pinned(cpu: number, args: string[]): [string, string[]] {
  return hasTaskset ? ['taskset', ['-c', String(cpu), process.execPath, ...args]] : [process.execPath, args];
}

function memKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

function collect(child: ChildProcess): Promise<string> {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(d));
  return new Promise((resolve) => child.on('exit', () => resolve(out)));
}

/** The hub's operator token, from the login URL it printed: /metrics and /ws/ui need it. */
let accessToken = '';
const scrape = (url: string) =>
  fetch(`${url}/metrics?host=none`, { headers: { authorization: `Bearer ${accessToken}` } });

async function metric(url: string, name: string): Promise<number> {
  const text = await (await scrape(url)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return Number(m?.[1] ?? Number.NaN);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Children to kill whatever happens: a failed run must not leave a hub holding the port. */
const children: ChildProcess[] = [];
let hubLogTail = () => '';
let hubWarnings = (): string[] => [];

function lastJson(out: string): Record<string, number | null> {
  try {
    return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, number | null>;
  } catch {
    return {};
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hopwatch-bench-'));
  const db = join(dir, 'bench.db');
  console.log(
    `bench:hub: ${a.agents} agents × ${a.ifaces} interfaces (${a.active * 100}% active) at 1 Hz, ` +
      `${a.browsers} browsers (${a.slow} of them reading 1 s in 10) watching ${a.watch} host(s) each, ` +
      `${a.warmup} s warm-up + ${a.seconds} s measured` +
      (hasTaskset ? '; hub on CPU 0, simulators on CPU 1' : '; taskset missing, processes not pinned'),
  );

  const [hubCmd, hubArgs] = pinned(0, [
    ...HUB_NODE_FLAGS,
    'bin/hopwatch.mjs',
    'hub',
    '--port',
    '0',
    '--db',
    db,
    '--agent-token',
    TOKEN,
    '--retention-mb',
    '100000',
  ]);
  const hub = spawn(hubCmd, hubArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(hub);
  let hubLog = '';
  hub.stderr!.on('data', (d: Buffer) => {
    hubLog += d.toString();
  });
  hubLogTail = () => hubLog.split('\n').slice(-15).join('\n');
  hubWarnings = () => hubLog.split('\n').filter((l) => l.includes('warning') || l.includes('error'));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    hub.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /hopwatch hub: (http:\/\/\S+)/.exec(out);
      const login = /\?token=([\w-]+)/.exec(out);
      if (m && login) {
        accessToken = login[1]!;
        resolve(m[1]!);
      }
    });
    hub.on('exit', (code) => reject(new Error(`hub exited (${code}) before listening`)));
  });
  // With taskset the hub is taskset's child after exec: same pid.
  const hubPid = hub.pid!;

  const total = a.warmup + a.seconds;
  const tsx = ['--import', 'tsx'];
  const [agCmd, agArgs] = pinned(1, [
    ...tsx,
    join(HERE, 'simAgents.ts'),
    ...['--url', url, '--token', TOKEN, '--agents', String(a.agents), '--ifaces', String(a.ifaces)],
    ...['--active', String(a.active), '--seconds', String(total + 30)],
  ]);
  const agents = spawn(agCmd, agArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(agents);
  const agentsOut = collect(agents);
  const connectBy = Date.now() + 60_000;
  while ((await metric(url, 'hopwatch_agents_connected').catch(() => 0)) < a.agents) {
    if (Date.now() > connectBy) throw new Error('agents did not all connect within 60 s');
    await sleep(200);
  }
  const [brCmd, brArgs] = pinned(1, [
    ...tsx,
    join(HERE, 'simBrowsers.ts'),
    ...[
      '--url',
      url,
      '--token',
      accessToken,
      '--browsers',
      String(a.browsers),
      '--watch',
      String(a.watch),
      '--agents',
      String(a.agents),
    ],
    ...['--warmup', String(a.warmup), '--slow', String(a.slow)],
  ]);
  const browsers = spawn(brCmd, brArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(browsers);
  const browsersOut = collect(browsers);

  await sleep(a.warmup * 1000);
  const t0 = Date.now();
  const cpu0 = cpuTicks(hubPid);
  const samples0 = await metric(url, 'hopwatch_samples_recorded_total');
  // The hub's own event-loop delay, per 10 s window, while the window runs.
  const loopP99: number[] = [];
  const loopMax: number[] = [];
  for (let left = a.seconds * 1000; left > 0; left -= 10_000) {
    await sleep(Math.min(10_000, left));
    loopP99.push(await metric(url, 'hopwatch_event_loop_delay_p99_seconds'));
    loopMax.push(await metric(url, 'hopwatch_event_loop_delay_max_seconds'));
  }
  const cpu1 = cpuTicks(hubPid);
  const t1 = Date.now();
  const samples1 = await metric(url, 'hopwatch_samples_recorded_total');
  const lagging = await metric(url, 'hopwatch_ui_clients_lagging');
  const merged = await metric(url, 'hopwatch_ui_samples_merged_total');
  const rejected = (await (await scrape(url)).text())
    .split('\n')
    .filter((l) => l.startsWith('hopwatch_frames_rejected_total') && !l.endsWith(' 0'));
  const rssMb = memKb(hubPid, 'VmRSS') / 1024;
  const hwmMb = memKb(hubPid, 'VmHWM') / 1024;

  browsers.kill('SIGTERM');
  const br = lastJson(await browsersOut);
  agents.kill('SIGTERM');
  const ag = lastJson(await agentsOut);
  hub.kill('SIGTERM');
  await new Promise((r) => hub.on('exit', r));

  const rdb = new Database(db, { readonly: true });
  const rec = rdb
    .prepare(`SELECT coalesce(sum(bytes), 0) AS b, coalesce(sum(samples), 0) AS n FROM chunks`)
    .get() as {
    b: number;
    n: number;
  };
  rdb.close();
  const fileMb = Number(spawnSync('du', ['-sm', dir], { encoding: 'utf8' }).stdout.split('\t')[0]);
  rmSync(dir, { recursive: true, force: true });

  const wallS = (t1 - t0) / 1000;
  const cpuS = (cpu1 - cpu0) / CLK_TCK;
  const recorded = samples1 - samples0;
  const ifaceHours = (rec.n * a.ifaces) / 3600;
  const rows: [string, string][] = [
    ['samples recorded in window', `${recorded} (${(recorded / wallS).toFixed(1)}/s)`],
    ['hub CPU', `${(cpuS / wallS).toFixed(3)} cores (${((cpuS * 1000) / wallS).toFixed(0)} ms/s)`],
    ['hub CPU per agent-sample', `${((cpuS * 1000) / recorded).toFixed(3)} ms`],
    ['hub RSS now / peak', `${rssMb.toFixed(0)} MB / ${hwmMb.toFixed(0)} MB`],
    ['agent→browser latency p50 / p99 / max', `${br.p50} / ${br.p99} / ${br.max} ms (${br.frames} frames)`],
    [
      'hub event-loop delay (worst 10 s window) p99 / max',
      `${(Math.max(...loopP99) * 1000).toFixed(0)} / ${(Math.max(...loopMax) * 1000).toFixed(0)} ms`,
    ],
    [
      'slow browsers (merged latest state)',
      `${br.slowFrames} sample frames carried ${br.slowSamples} samples; hub merged ${merged}; lagging now ${lagging}`,
    ],
    ['recording', `${(rec.b / 1e6).toFixed(1)} MB chunks for ${rec.n} samples; db dir ${fileMb} MB`],
    [
      'recording bytes per interface-hour',
      `${(rec.b / ifaceHours).toFixed(0)} B (${(rec.b / rec.n / a.ifaces || 0).toFixed(2)} B per interface-sample)`,
    ],
    [
      'agent frames sent / worst send lag',
      `${ag.sent} (${((ag.sentBytes ?? 0) / (ag.sent || 1) / 1024).toFixed(1)} KiB each) / ${ag.worstSendLagMs} ms`,
    ],
    ['frames rejected', rejected.length === 0 ? 'none' : rejected.join(', ')],
    ['hub warnings', String(hubWarnings().length)],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
  for (const l of hubWarnings().slice(0, 10)) console.log(`    ${l}`);
}

main()
  .catch((e: Error) => {
    console.error(`bench:hub failed: ${e.stack ?? e.message}\nhub log tail:\n${hubLogTail()}`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
