/**
 * PKG3: the agent as packaging/hopwatch-agent.service runs it. The single file
 * dist/hopwatch-agent.mjs, copied alone into an empty directory, started by `setpriv` as the
 * unprivileged user nobody holding only the capabilities the unit grants (and nothing from the
 * checkout: no node_modules, no sources), streams the lab's namespaces and the kernel's drop
 * reasons to a real hub. `--check` as the same user reports nothing missing. Root only: it builds
 * the lab and hands the capabilities out.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown, labUp, ROUTER_GW_ADDR } from '@hopwatch/lab';
import type { Diagnosis } from '@hopwatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const IS_ROOT = process.getuid?.() === 0;
const HAS_SETPRIV = spawnSync('setpriv', ['--version'], { stdio: 'ignore' }).status === 0;
if (!IS_ROOT) console.log('leastPrivilege.int.test: skipped, needs root (the lab, handing out capabilities)');

/** The unit's AmbientCapabilities=, read from the unit itself so the two cannot drift apart. */
function unitCapabilities(): string[] {
  const unit = readFileSync(join(ROOT, 'packaging/hopwatch-agent.service'), 'utf8');
  const line = /^AmbientCapabilities=(.*)$/m.exec(unit)?.[1] ?? '';
  return line.split(/\s+/).filter(Boolean);
}

function asAgentUser(caps: string[], argv: string[]): string[] {
  const list = caps.map((c) => `+${c.replace(/^CAP_/, '').toLowerCase()}`).join(',');
  return [
    ...['--reuid=65534', '--regid=65534', '--clear-groups'],
    ...[`--inh-caps=${list}`, `--ambient-caps=${list}`],
    ...argv,
  ];
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function until<T>(what: string, fn: () => Promise<T | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function stop(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

describe.skipIf(!IS_ROOT || !HAS_SETPRIV)(
  'PKG3: the single-file agent as its own user with the unit’s capabilities',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopwatch-lp-'));
    const accessToken = 'lp-access-token-0123456789abcdef';
    const agentToken = 'lp-agent-token-0123456789abcdef';
    const caps = unitCapabilities();
    let hub: ChildProcess | null = null;
    let agent: ChildProcess | null = null;
    let agentLog = '';
    let url = '';
    const api = async <T>(path: string): Promise<T | null> => {
      const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${accessToken}` } });
      return res.ok ? ((await res.json()) as T) : null;
    };

    beforeAll(async () => {
      execFileSync(process.execPath, [join(ROOT, 'scripts/build-dist.mjs')], { stdio: 'pipe' });
      // The agent alone, world-readable, in a directory of its own: nothing else to load.
      chmodSync(dir, 0o755);
      copyFileSync(join(ROOT, 'dist/hopwatch-agent.mjs'), join(dir, 'hopwatch-agent.mjs'));
      chmodSync(join(dir, 'hopwatch-agent.mjs'), 0o644);
      await labUp();
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      writeFileSync(join(dir, 'access-token'), accessToken, { mode: 0o600 });
      hub = spawn(
        process.execPath,
        [
          join(ROOT, 'dist/hopwatch.mjs'),
          'hub',
          ...['--port', String(port), '--db', join(dir, 'hub.db')],
          ...['--agent-token', agentToken, '--access-token-file', join(dir, 'access-token')],
        ],
        { stdio: 'ignore' },
      );
      await until('the hub', async () => ((await fetch(`${url}/healthz`)).ok ? true : null));
      agent = spawn(
        'setpriv',
        asAgentUser(caps, [
          process.execPath,
          join(dir, 'hopwatch-agent.mjs'),
          ...[
            '--hub',
            `ws://127.0.0.1:${port}`,
            '--name',
            'lp-host',
            '--netns',
            'hwlab-*',
            '--interval',
            '500',
          ],
        ]),
        // As systemd would start it: no HOME, a plain PATH, the token in the environment.
        {
          cwd: '/',
          env: { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOPWATCH_TOKEN: agentToken },
        },
      );
      agent.stdout?.on('data', (b: Buffer) => (agentLog += b.toString()));
      agent.stderr?.on('data', (b: Buffer) => (agentLog += b.toString()));
    });

    afterAll(async () => {
      await stop(agent);
      await stop(hub);
      await labDown().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    });

    it('PKG3: holds exactly the unit’s capabilities and sees the lab’s namespaces', async () => {
      expect(caps).toContain('CAP_SYS_ADMIN');
      const topo = await until('the lab in the topology', async () => {
        const t = await api<{ topology: { ifaces: { id: string }[] } }>('/api/hosts/lp-host/topology');
        return t?.topology.ifaces.some((i) => i.id === 'hwlab-qrouter-a1/qg-a1') ? t : null;
      });
      // Read once the agent has streamed: right after the spawn, a loaded machine can show the
      // process before setpriv has switched to the agent's user (seen at load ~50).
      const status = readFileSync(`/proc/${agent?.pid}/status`, 'utf8');
      expect(/^Uid:\s+65534\s/m.test(status)).toBe(true);
      const ids = topo.topology.ifaces.map((i) => i.id);
      for (const id of ['hwlab-up/wan0', 'hwlab-node/br-ex', 'hwlab-node/tap-qg-a1', 'hwlab-vm1/eth0'])
        expect(ids, agentLog).toContain(id);
      expect(agentLog).not.toMatch(/could not enter|Operation not permitted|unavailable/);
    });

    it('PKG3: streams the kernel’s drop reasons (UDP to a closed port: NO_SOCKET)', async () => {
      const diagnosis = await until(
        'a NO_SOCKET drop reason',
        async () => {
          // Datagrams to a port nobody listens on in the router: dropped by the kernel, with a reason.
          execFileSync('ip', [
            ...['netns', 'exec', 'hwlab-up', 'bash', '-c'],
            `for i in $(seq 20); do echo x > /dev/udp/${ROUTER_GW_ADDR}/9; done`,
          ]);
          const d = await api<Diagnosis>('/api/hosts/lp-host/diagnosis?seconds=5');
          return d?.findings.some((f) => f.reason === 'NO_SOCKET') ? d : null;
        },
        45_000,
      );
      expect(diagnosis.findings.map((f) => f.reason)).toContain('NO_SOCKET');
    });

    it('PKG3: --check as the same user reports nothing missing; the tracefs instance goes with the agent', async () => {
      const check = spawnSync(
        'setpriv',
        asAgentUser(caps, [process.execPath, join(dir, 'hopwatch-agent.mjs'), '--check']),
        {
          encoding: 'utf8',
          cwd: '/',
        },
      );
      expect(check.stdout, check.stderr).not.toContain('✗');
      expect(check.status).toBe(0);
      const pid = agent?.pid;
      await stop(agent);
      agent = null;
      const instances = readdirSync('/sys/kernel/tracing/instances');
      expect(instances).not.toContain(`hopwatch-${pid}`);
    });
  },
);
