import { spawn, execSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_NS, buildLab, destroyLab } from './lab.ts';
import { treeCpuMs, treeMemoryMb } from './proctree.ts';
const ROOT = '/work/wt/agentcost';
const port = 17000 + Math.floor(Math.random() * 1000);
destroyLab();
buildLab(100, 4);
const dir = mkdtempSync(join(tmpdir(), 'hw-harness-'));
let hub: ChildProcess | null = null;
let agent: ChildProcess | null = null;
try {
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
      'tok',
    ],
    { stdio: 'ignore', env: { ...process.env, HOPWATCH_ACCESS_TOKEN: 'x' } },
  );
  await sleep(2000);
  const tSpawn = performance.now();
  agent = spawn(
    process.execPath,
    [
      ...(process.env.NODE_FLAGS ?? '').split(' ').filter(Boolean),
      join(ROOT, 'dist/hopwatch-agent.mjs'),
      '--hub',
      `ws://127.0.0.1:${port}`,
      '--name',
      'h',
      '--netns',
      `${BENCH_NS}*,@host`,
    ],
    { stdio: ['ignore', 'inherit', 'pipe'], env: { ...process.env, HOPWATCH_TOKEN: 'tok' } },
  );
  await new Promise<void>((r) =>
    agent!.stderr!.on('data', (b: Buffer) => {
      process.stderr.write(b);
      if (/connected to hub/.test(b.toString())) r();
    }),
  );
  const t0 = performance.now();
  const bg = process.env.BG_CMD
    ? spawn('sh', ['-c', process.env.BG_CMD], {
        stdio: 'inherit',
        env: { ...process.env, AGENT_PID: String(agent.pid) },
      })
    : null;
  console.log(`connected ${((t0 - tSpawn) / 1000).toFixed(1)} s after spawn`);
  let last = treeCpuMs(agent.pid!);
  const perSecond = Number(process.env.PER_SECOND ?? 0);
  for (let i = 0; i < perSecond; i++) {
    await sleep(1000);
    const now = treeCpuMs(agent.pid!);
    console.log(
      `t=${((performance.now() - t0) / 1000).toFixed(0)} self ${(now.selfMs - last.selfMs).toFixed(0)} children ${(now.childrenMs - last.childrenMs).toFixed(0)} rss ${treeMemoryMb(agent.pid!).rssMb.toFixed(0)}`,
    );
    last = now;
  }
  await sleep(Number(process.env.WARM ?? 0) * 1000);
  bg?.kill();
  execSync(process.env.PROBE_CMD ?? 'true', {
    stdio: 'inherit',
    env: { ...process.env, AGENT_PID: String(agent.pid) },
  });
} finally {
  agent?.kill('SIGTERM');
  await sleep(3000);
  hub?.kill('SIGTERM');
  await sleep(500);
  rmSync(dir, { recursive: true, force: true });
  destroyLab();
}
