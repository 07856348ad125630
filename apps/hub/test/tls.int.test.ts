/**
 * A real agent (`hopwatch agent`, its own process) to a hub serving wss with a self-signed
 * certificate made at test time: with `--ca CERT` it connects and its host's data arrives; without
 * it the agent refuses the hub and says why and what to pass. Runs as any user (host namespace
 * only, no tracing); under the shared lock with the other integration tests (ports).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { REPO_ROOT } from './helpers/hubProcess.ts';
import { haveOpenssl, selfSignedCert } from './helpers/tlsCert.ts';
import { TEST_AUTH } from './helpers/auth.ts';

const HAVE_OPENSSL = haveOpenssl();
if (!HAVE_OPENSSL) console.log('tls.int.test: skipped, no openssl (scripts/ensure-deps.sh installs it)');
const TOKEN = 'hwt-tls-token';

describe.skipIf(!HAVE_OPENSSL)('a real agent to a wss hub with a self-signed certificate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwt-tls-int-'));
  const pem = HAVE_OPENSSL ? selfSignedCert(dir) : { cert: '', key: '' };
  let hub: Hub | null = null;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode !== null) continue;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGKILL');
      await exited;
    }
    await hub?.close();
    hub = null;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function agent(name: string, extra: string[]): { child: ChildProcess; output: () => string } {
    let out = '';
    const child = spawn(
      process.execPath,
      [
        'bin/hopwatch.mjs',
        'agent',
        '--hub',
        hub!.url.replace(/^https/, 'wss'),
        '--token',
        TOKEN,
        '--name',
        name,
        '--netns',
        '@host',
        '--no-tracing',
        '--interval',
        '500',
        ...extra,
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr!.on('data', (c: Buffer) => {
      out += c.toString();
    });
    return { child, output: () => out };
  }

  it('TLS4: with --ca the agent connects over wss and its samples are recorded', async () => {
    hub = await startHub({
      auth: TEST_AUTH,
      port: 0,
      db: ':memory:',
      agentToken: TOKEN,
      log: silentLogger,
      tls: pem,
    });
    const a = agent('hwt-tls-ok', ['--ca', pem.cert]);
    await expect
      .poll(() => hub!.store.lastT('hwt-tls-ok'), { timeout: 60_000, interval: 250 })
      .not.toBeNull();
    expect(hub.core.hosts.get('hwt-tls-ok')?.topology?.topology.ifaces.some((i) => i.id === 'lo')).toBe(true);
    expect(a.output()).toMatch(/connected to hub at wss:/);
  });

  it('TLS5: without --ca it refuses the hub’s certificate and says to pass --ca; the hub sees nothing', async () => {
    hub = await startHub({
      auth: TEST_AUTH,
      port: 0,
      db: ':memory:',
      agentToken: TOKEN,
      log: silentLogger,
      tls: pem,
    });
    const a = agent('hwt-tls-refused', []);
    await expect
      .poll(() => a.output(), { timeout: 60_000, interval: 250 })
      .toMatch(
        /its TLS certificate is not trusted \(DEPTH_ZERO_SELF_SIGNED_CERT\); pass the CA .* with --ca FILE/,
      );
    expect(hub.core.hosts.has('hwt-tls-refused')).toBe(false);
  });
});
