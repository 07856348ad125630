import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { DiagnosisSchema } from '@hopwatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `hopwatch diagnose` live, on a throwaway namespace pair with the seed's recipe (design.md):
 * RPS on the receiving veth steering to CPU 1, net.core.netdev_max_backlog = 1, a UDP flood
 * from CPU 0. Root only; run under `flock /tmp/hopwatch-root.lock` (the sysctl is global).
 */
const ROOT = process.getuid?.() === 0;
if (!ROOT) console.log('diagnose.int.test.ts: skipped (needs root: namespaces, sysctls, tracefs)');

const A = 'hwt-jd-a';
const B = 'hwt-jd-b';
const BACKLOG = '/proc/sys/net/core/netdev_max_backlog';
const CLI = new URL('../../../bin/hopwatch.mjs', import.meta.url).pathname;
const run = promisify(execFile);
const sh = (...args: string[]) => execFileSync(args[0]!, args.slice(1), { stdio: 'pipe' });

/** ~12 s of small UDP datagrams to a closed port, pinned to CPU 0, paced so memory stays flat. */
const FLOOD = `
const s = require('node:dgram').createSocket('udp4');
const p = Buffer.alloc(64); const end = Date.now() + 12000;
const burst = () => { for (let i = 0; i < 200; i++) s.send(p, 9, '10.213.0.2'); Date.now() < end ? setImmediate(burst) : s.close(); };
burst();`;

const rxPackets = () =>
  Number(
    execFileSync('ip', ['netns', 'exec', B, 'cat', '/sys/class/net/jdb/statistics/rx_packets'], {
      encoding: 'utf8',
    }),
  );

/** Node starts slowly on a busy 2-CPU host: wait until packets really arrive before sampling. */
async function floodRunning() {
  const start = rxPackets();
  for (let i = 0; i < 50 && rxPackets() - start < 1000; i++) await new Promise((r) => setTimeout(r, 100));
}

function removeNamespaces() {
  for (const ns of [A, B]) {
    try {
      sh('ip', 'netns', 'del', ns);
    } catch {
      // not there: nothing to clean
    }
  }
}

describe.skipIf(!ROOT)('hopwatch diagnose on a live namespace pair (root)', () => {
  let original = '';
  let flood: ChildProcess | null = null;

  beforeAll(() => {
    original = readFileSync(BACKLOG, 'utf8').trim();
    removeNamespaces();
    sh('ip', 'netns', 'add', A);
    sh('ip', 'netns', 'add', B);
    sh('ip', '-n', A, 'link', 'add', 'jda', 'type', 'veth', 'peer', 'name', 'jdb', 'netns', B);
    for (const [ns, dev, addr] of [
      [A, 'jda', '10.213.0.1/24'],
      [B, 'jdb', '10.213.0.2/24'],
    ] as const) {
      sh('ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1');
      sh('ip', '-n', ns, 'addr', 'add', addr, 'dev', dev);
      sh('ip', '-n', ns, 'link', 'set', 'dev', dev, 'up');
    }
    sh('ip', 'netns', 'exec', B, 'sh', '-c', 'echo 2 > /sys/class/net/jdb/queues/rx-0/rps_cpus');
    sh('ip', 'netns', 'exec', A, 'ping', '-c1', '-W2', '10.213.0.2');
  });

  afterAll(() => {
    flood?.kill('SIGKILL');
    if (original) writeFileSync(BACKLOG, original);
    removeNamespaces();
  });

  it('CLI6: an unknown --to exits 2 with the closest names before sampling', async () => {
    const started = Date.now();
    const r = await run('node', [
      CLI,
      'diagnose',
      '--seconds',
      '30',
      '--from',
      `${A}/jda`,
      '--to',
      `${B}/jdc`,
    ]).catch((e: { code: number; stderr: string }) => e);
    expect(r).toMatchObject({ code: 2 });
    expect((r as { stderr: string }).stderr).toContain(`closest: ${B}/jdb`);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('CLI7: the seed’s recipe live: exit 1, R01 on the RPS veth, CPU 1, the sysctl in the fix', async () => {
    writeFileSync(BACKLOG, '1');
    flood = spawn('ip', ['netns', 'exec', A, 'taskset', '-c', '0', process.execPath, '-e', FLOOD], {
      stdio: 'ignore',
    });
    await floodRunning();
    const r = await run('node', [
      CLI,
      'diagnose',
      '--seconds',
      '3',
      '--from',
      `${A}/jda`,
      '--to',
      `${B}/jdb`,
      '--json',
    ]).catch((e: { code: number; stdout: string }) => e);
    writeFileSync(BACKLOG, original);
    const d = DiagnosisSchema.strict().parse(JSON.parse((r as { stdout: string }).stdout));
    expect({ code: (r as { code?: number }).code, findings: d.findings.map((x) => x.title) }).toMatchObject({
      code: 1,
    });
    expect(d.path).toEqual([`${A}/jda`, `${B}/jdb`]);
    const f = d.findings.find((x) => x.rule === 'R01' && x.hop === `${B}/jdb`);
    expect(f?.title).toBe('CPU backlog overflow on CPU 1 (netdev_max_backlog = 1)');
    expect(f?.command).toBe('sysctl -w net.core.netdev_max_backlog=10000');
    expect(d.hops.find((h) => h.id === `${B}/jdb`)?.status).toBe('loss');
  });
});
