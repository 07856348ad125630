/**
 * What each per-namespace kernel file costs to read, per sweep of every namespace (root, under
 * flock /tmp/hopwatch-root.lock): the bench's 100 namespaces (bench/lab.ts) with a `sleep` in each,
 * every file read through a kept descriptor at offset 0, as the agent reads it.
 *   npx tsx apps/agent/bench/readcost.ts [SWEEPS]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { BENCH_NS, buildLab, destroyLab, nsName } from './lab.ts';

const NAMESPACES = 100;
const SWEEPS = Number(process.argv[2] ?? 300);
/** Milliseconds between sweeps: 0 measures warm caches, ~1000 what the agent sees (cold). */
const GAP_MS = Number(process.argv[3] ?? 0);
const FILES = ['dev', 'snmp', 'netstat', 'stat/nf_conntrack', 'arp', 'snmp6'];

const buf = Buffer.allocUnsafe(256 * 1024);
/** READCOST_ONCE=1: one pread per file (no second read to see the end), to price that read. */
const ONCE = process.env.READCOST_ONCE === '1';

function readAll(fd: number): number {
  if (ONCE) return readSync(fd, buf, 0, buf.length, 0);
  let n = 0;
  for (;;) {
    const r = readSync(fd, buf, n, buf.length - n, n);
    if (r === 0) return n;
    n += r;
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root');
  destroyLab();
  buildLab(NAMESPACES, 4);
  const sleepers: ChildProcess[] = [];
  try {
    for (let i = 0; i < NAMESPACES; i++)
      sleepers.push(spawn('ip', ['netns', 'exec', nsName(i), 'sleep', '600'], { stdio: 'ignore' }));
    await sleep(1500);
    const dirs = ['/proc/self/net', ...sleepers.map((c) => `/proc/${c.pid}/net`)];
    console.log(`${dirs.length} namespaces (${BENCH_NS}*), ${SWEEPS} sweeps each, ${GAP_MS} ms apart`);
    for (const file of FILES) {
      const fds = dirs.map((d) => openSync(`${d}/${file}`, constants.O_RDONLY));
      let bytes = 0;
      for (const fd of fds) bytes += readAll(fd);
      let c = { user: 0, system: 0 };
      for (let s = 0; s < SWEEPS; s++) {
        if (GAP_MS > 0) await sleep(GAP_MS);
        const c0 = process.cpuUsage();
        for (const fd of fds) readAll(fd);
        const d = process.cpuUsage(c0);
        c = { user: c.user + d.user, system: c.system + d.system };
      }
      for (const fd of fds) closeSync(fd);
      console.log(
        `${file.padEnd(18)} ${(bytes / dirs.length / 1024).toFixed(1)} KB each: ` +
          `${((c.user + c.system) / 1000 / SWEEPS).toFixed(2)} ms a sweep ` +
          `(${(c.user / 1000 / SWEEPS).toFixed(2)} user + ${(c.system / 1000 / SWEEPS).toFixed(2)} system)`,
      );
    }
  } finally {
    for (const c of sleepers) c.kill();
    destroyLab();
  }
}
await main();
