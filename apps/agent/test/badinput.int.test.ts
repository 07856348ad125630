/**
 * Bad input, each logged in words and none crashing the agent: a namespace deleted while it is
 * being probed, an interface renamed between discovery and sample, an unreadable tracefs, a
 * stale tracefs instance of a dead agent, and a hub that refuses the token.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { CLOSE, SampleSchema } from '@hopwatch/shared';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createAgentCollector } from '../src/collector.ts';
import type { Runner } from '../src/discovery/probe.ts';
import { startAgent } from '../src/index.ts';
import { execText } from '../src/util/exec.ts';
import { cleanupAll, instances, IS_ROOT, ipBatch, sh, until } from './support/netns.ts';

const B1 = 'hwt-ag-b1';
const CHILD = fileURLToPath(new URL('./support/agent-child.ts', import.meta.url));

/** Pids with a file under `prefix` open. */
function openersOf(prefix: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (
        readdirSync(`/proc/${pid}/fd`).some((fd) => readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(prefix))
      ) {
        pids.push(Number(pid));
      }
    } catch {}
  }
  return pids;
}
const B2 = 'hwt-ag-b2';

describe.skipIf(!IS_ROOT)('bad input (root)', () => {
  const closers: (() => Promise<void>)[] = [];
  beforeAll(() => cleanupAll('hwt-ag-b'));
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
  });
  afterAll(() => cleanupAll('hwt-ag-b'));

  it('BAD1: a namespace deleted in the middle of a sample is logged and left out; the sample goes on', async () => {
    ipBatch('', [`netns add ${B1}`, `netns add ${B2}`]);
    const logs: string[] = [];
    let armed = false;
    // Once armed, delete B2 right before its probe runs: the sample saw it, `ip -n` no longer can.
    const run: Runner = async (cmd, args, stdin) => {
      if (armed && args.includes(B2) && args.includes('-b')) sh('ip', 'netns', 'del', B2);
      return execText(cmd, args, stdin);
    };
    const c = await createAgentCollector(
      { netnsGlob: 'hwt-ag-b*', tracing: false, log: (l, m) => logs.push(`${l}: ${m}`) },
      { run },
    );
    closers.push(() => c.close());
    expect(c.topology().namespaces.map((n) => n.name)).toEqual([B1, B2]);
    armed = true;
    sh('ip', '-n', B2, 'link', 'set', 'lo', 'up'); // `ip monitor` marks B2 for rediscovery
    await new Promise((r) => setTimeout(r, 200));
    const sample = await c.sample();
    expect(SampleSchema.safeParse(sample).success).toBe(true);
    await c.sample();
    expect(c.topology().namespaces.map((n) => n.name)).toEqual([B1]);
    expect(
      logs.some((l) =>
        /namespace hwt-ag-b2 (vanished while it was being read|is gone)|cannot list interfaces of namespace hwt-ag-b2/.test(
          l,
        ),
      ),
    ).toBe(true);
  });

  it('BAD2: an interface renamed between discovery and sample is picked up, not a crash', async () => {
    ipBatch(B1, ['link add ra type veth peer name rb']);
    let renamed = false;
    const run: Runner = async (cmd, args, stdin) => {
      const r = await execText(cmd, args, stdin);
      if (!renamed && args.includes(B1) && args.includes('-b') && r.stdout.includes('"ra"')) {
        renamed = true; // the probe saw "ra"; the sample will read "rz"
        sh('ip', '-n', B1, 'link', 'set', 'ra', 'name', 'rz');
      }
      return r;
    };
    const c = await createAgentCollector({ netnsGlob: B1, tracing: false, log: () => {} }, { run });
    closers.push(() => c.close());
    expect(c.topology().ifaces.some((i) => i.name === 'ra')).toBe(true);
    const sample = await c.sample();
    expect(SampleSchema.safeParse(sample).success).toBe(true);
    const names = c.topology().ifaces.map((i) => i.name);
    expect(names).toContain('rz');
    expect(names).not.toContain('ra');
  });

  it('BAD3: an unreadable tracefs leaves drop reasons unavailable, said once, counters still flow', async () => {
    const logs: string[] = [];
    const c = await createAgentCollector({
      netnsGlob: B1,
      sysRoot: '/nonexistent-hwt-ag',
      log: (l, m) => logs.push(`${l}: ${m}`),
    });
    closers.push(() => c.close());
    const a = await c.sample();
    await c.sample();
    expect(a.tracing).toMatchObject({
      state: 'unavailable',
      detail: 'no tracefs under /nonexistent-hwt-ag/kernel',
    });
    expect(logs.filter((l) => l.includes('kernel drop reasons unavailable'))).toHaveLength(1);
    expect(a.softnet.length).toBeGreaterThan(0);
  });

  it('BAD4: a stale instance of a dead agent is removed at start; ours is removed at close', async () => {
    const stale = '/sys/kernel/tracing/instances/hopwatch-999999999';
    mkdirSync(stale);
    writeFileSync(`${stale}/events/skb/kfree_skb/enable`, '1');
    const logs: string[] = [];
    const c = await createAgentCollector({ netnsGlob: B1, log: (l, m) => logs.push(`${l}: ${m}`) });
    expect(instances()).not.toContain('hopwatch-999999999');
    expect(logs).toContain('info: removed stale tracefs instance hopwatch-999999999');
    await c.close();
    expect(instances().filter((i) => i.startsWith(`hopwatch-${process.pid}`))).toEqual([]);
  });

  it('BAD6: an agent killed with SIGKILL leaves no reader behind; the next start removes its instance', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
      child.on('exit', () => reject(new Error('agent child exited early')));
    });
    const instance = `hopwatch-${child.pid}`;
    expect(instances()).toContain(instance);
    child.kill('SIGKILL');
    await until(() => child.exitCode !== null || child.signalCode !== null);
    // --pdeathsig: the trace_pipe reader and ip monitor die with it instead of blocking for ever.
    await until(() => openersOf(`/sys/kernel/tracing/instances/${instance}/`).length === 0);
    const logs: string[] = [];
    const c = await createAgentCollector({ netnsGlob: B1, log: (l, m) => logs.push(`${l}: ${m}`) });
    closers.push(() => c.close());
    expect(instances()).not.toContain(instance);
    expect(logs).toContain(`info: removed stale tracefs instance ${instance}`);
  });

  it('BAD5: a hub refusing the token is an error status in words; the agent keeps sampling', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.on('listening', r));
    wss.on('connection', (ws) => ws.on('message', () => ws.close(CLOSE.badToken, 'unknown token')));
    closers.push(() => new Promise((r) => wss.close(() => r())));
    const logs: string[] = [];
    const agent = await startAgent({
      hub: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`,
      token: 'nope',
      netnsGlob: B1,
      intervalMs: 100,
      tracing: false,
      log: (l, m) => logs.push(`${l}: ${m}`),
    });
    closers.push(() => agent.stop());
    await until(() => agent.status() === 'error');
    expect(logs.join('\n')).toMatch(/hub refused the agent token \(unknown token\); check --token/);
    await new Promise((r) => setTimeout(r, 300));
    expect(logs.some((l) => l.includes('sampling failed'))).toBe(false);
  });
});
