/**
 * The hub with real agents (`hopwatch agent` processes) on real namespaces (root): a veth pair
 * between hwt-hub-a and hwt-hub-b with pings across it. Checks the topology and counters arrive,
 * a browser gets them live, and that a `kill -9` of the hub mid-stream leaves a recording with no
 * gap once the agent has reconnected on its own and backfilled.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IFACE_COUNTER_INDEX as C, type Topology } from '@hopwatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/index.ts';
import { fetchAs } from './helpers/auth.ts';
import { FakeBrowser } from './helpers/clients.ts';
import { type HubProcess, REPO_ROOT, spawnHub } from './helpers/hubProcess.ts';

const IS_ROOT = process.getuid?.() === 0;
if (!IS_ROOT) console.log('realAgent.int.test: skipped, needs root (network namespaces)');

const NS_A = 'hwt-hub-a';
const NS_B = 'hwt-hub-b';
const HOST = 'hwt-hub-host';
const TOKEN = 'hwt-hub-token';
const INTERVAL_MS = 250;

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' }).toString();
function cleanup(): void {
  for (const ns of [NS_A, NS_B]) {
    try {
      ip('netns', 'del', ns);
    } catch {
      // not there
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(
  what: string,
  fn: () => Promise<T | null | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null && v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe.skipIf(!IS_ROOT)('hub with a real agent on real namespaces (root)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hopwatch-hwt-hub-'));
  const db = join(dir, 'rec.db');
  let port = 0;
  let hub: HubProcess | null = null;
  /** The same hub before and after the kill -9: same port, same recording file. */
  const hubArgs = () => ['--port', String(port), '--db', db, '--agent-token', TOKEN, '--chunk-seconds', '3'];
  let agent: ChildProcess | null = null;
  let pinger: ChildProcess | null = null;
  let agentLog = '';

  beforeAll(async () => {
    cleanup();
    ip('netns', 'add', NS_A);
    ip('netns', 'add', NS_B);
    ip('-n', NS_A, 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', NS_B);
    ip('-n', NS_A, 'addr', 'add', '10.252.0.1/24', 'dev', 'va');
    ip('-n', NS_B, 'addr', 'add', '10.252.0.2/24', 'dev', 'vb');
    for (const [ns, dev] of [
      [NS_A, 'va'],
      [NS_B, 'vb'],
    ] as const) {
      ip('-n', ns, 'link', 'set', dev, 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    // Traffic across the pair for the whole test, inside our namespaces only.
    pinger = spawn('ip', ['netns', 'exec', NS_A, 'ping', '-q', '-i', '0.05', '10.252.0.2'], {
      stdio: 'ignore',
    });
    port = await freePort();
    hub = await spawnHub(hubArgs());
    agent = spawn(
      process.execPath,
      [
        'bin/hopwatch.mjs',
        'agent',
        ...['--hub', `ws://127.0.0.1:${port}`, '--token', TOKEN, '--name', HOST],
        ...['--netns', 'hwt-hub-*', '--interval', String(INTERVAL_MS), '--no-tracing'],
      ],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stderr!.on('data', (d: Buffer) => {
      agentLog += d.toString();
    });
  }, 60_000);

  afterAll(async () => {
    pinger?.kill('SIGKILL');
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
      agent.kill('SIGKILL');
    }
    hub?.child.kill('SIGKILL');
    cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the namespaces topology and counters, and streams them to a browser', async () => {
    const url = hub!.url;
    const fetch = fetchAs(hub!.token!);
    const topo = await until('the topology', async () => {
      const r = await fetch(`${url}/api/hosts/${HOST}/topology`);
      if (!r.ok) return null;
      const body = (await r.json()) as { topology: Topology };
      return body.topology.ifaces.some((i) => i.id === `${NS_B}/vb`) ? body.topology : null;
    });
    expect(topo.ifaces.find((i) => i.id === `${NS_A}/va`)?.peer).toBe(`${NS_B}/vb`);

    const browser = new FakeBrowser(url, { token: hub!.token });
    try {
      await browser.subscribe([HOST]);
      const live = await browser.waitFor(
        (m) => m.type === 'sample' && (m.sample.ifaces[`${NS_B}/vb`]?.[C.rxPackets] ?? 0) > 0,
        15_000,
        'a live sample with packets on vb',
      );
      expect(live.type === 'sample' && live.host).toBe(HOST);
    } finally {
      browser.close();
    }

    const d = (await (
      await fetch(`${url}/api/hosts/${HOST}/diagnosis?from=${NS_A}/va&to=${NS_B}/vb&seconds=2`)
    ).json()) as { path: string[] | null; hops: { id: string; rxPackets: number }[] };
    expect(d.path).toEqual([`${NS_A}/va`, `${NS_B}/vb`]);
    expect(d.hops.find((h) => h.id === `${NS_B}/vb`)?.rxPackets).toBeGreaterThan(0);

    // SCAN5: the real agent's sample frames all take the hub's fast reader (ws/sampleScan.ts
    // expects the agent's own key order); a change on either side that sends them down the
    // slow path shows here, not only as CPU in a bench.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(Number(/^hopwatch_samples_recorded_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    expect(metrics).toMatch(/^hopwatch_sample_frames_decoded_total 0$/m);
  }, 60_000);

  it('kill -9 of the hub: the agent reconnects on its own, backfills, and the recording has no gap', async () => {
    await sleep(2000);
    hub!.child.kill('SIGKILL');
    await hub!.exited;
    const crashedAt = Date.now();
    await sleep(1500);
    hub = await spawnHub(hubArgs());
    // The agent's backoff is at most 10 s; then it backfills from the welcome's lastT.
    await until(
      'the agent to reconnect and catch up',
      async () => {
        const r = (await (await fetchAs(hub!.token!)(`${hub!.url}/api/hosts`)).json()) as {
          hosts: { host: string; status: string; lastSeen: number | null }[];
        };
        const h = r.hosts.find((x) => x.host === HOST);
        return h && h.status === 'online' && (h.lastSeen ?? 0) > Date.now() - 1000 ? h : null;
      },
      30_000,
    );
    await sleep(1000);
    hub!.child.kill('SIGTERM');
    expect((await hub!.exited).code).toBe(0);

    const store = openStore(db, { readonly: true });
    const ts = store.readRange(HOST, 0, Number.MAX_SAFE_INTEGER).samples.map((s) => s.t);
    store.close();
    const around = ts.filter((t) => Math.abs(t - crashedAt) < 10_000);
    expect(around.length).toBeGreaterThan(20);
    const gaps = ts.slice(1).map((t, i) => t - ts[i]!);
    const worst = Math.max(...gaps);
    console.log(
      `real agent, kill -9: ${ts.length} samples recorded, largest step between samples ${worst} ms ` +
        `(interval ${INTERVAL_MS} ms)`,
    );
    // Sampling jitter only: the downtime was filled by the agent's backfill.
    expect(worst).toBeLessThan(3 * INTERVAL_MS);
    expect(agentLog).toMatch(/backfilled \d+ samples/);
  }, 90_000);
});
