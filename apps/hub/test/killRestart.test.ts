import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sample } from '@hopwatch/shared';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/index.ts';
import { fetchAs } from './helpers/auth.ts';
import { FakeAgent } from './helpers/clients.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';
import { type HubProcess, spawnHub } from './helpers/hubProcess.ts';

const TOKEN = 'kill-test-token';
const dir = mkdtempSync(join(tmpdir(), 'hopwatch-kill-'));
const db = join(dir, 'rec.db');
const children: HubProcess[] = [];

afterAll(() => {
  for (const c of children) c.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * An agent the way the real one behaves: it keeps what it sampled, and after (re)connecting
 * sends everything newer than the welcome's lastT as backfill before going on live.
 */
class BufferingAgent {
  readonly buffer: Sample[] = [];
  conn: FakeAgent | null = null;
  readonly instance = 'kill-test-agent';

  async connect(url: string): Promise<number | null> {
    this.conn = new FakeAgent(url, 'h1', { token: TOKEN, instance: this.instance });
    const welcome = await this.conn.hello();
    this.conn.topology(this.buffer[0]?.t ?? T0, makeTopology('h1'));
    for (const s of this.buffer) if (welcome.lastT === null || s.t > welcome.lastT) this.conn.sample(s, true);
    return welcome.lastT;
  }

  tick(i: number): void {
    const s = makeSample(T0 + i * 1000, { 'veth-a': row({ rxPackets: i }) });
    this.buffer.push(s);
    this.conn?.sample(s);
  }
}

const T0 = Math.floor(Date.now() / 1000) * 1000 - 3600_000;

describe('kill -9 of the hub mid-stream', () => {
  it('keeps the recording intact up to the crash; the agent backfills and the recording has no gap', async () => {
    const args = ['--port', '0', '--db', db, '--agent-token', TOKEN, '--chunk-seconds', '3'];
    const first = await spawnHub(args);
    children.push(first);
    const agent = new BufferingAgent();
    expect(await agent.connect(first.url)).toBeNull();
    // 40 samples, 25 ms apart in real time (1 s apart in sample time): chunks of 3 s get written
    // while more samples sit in memory.
    let i = 0;
    for (; i < 40; i++) {
      agent.tick(i + 1);
      await sleep(25);
    }
    const sentBeforeCrash = T0 + i * 1000;
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    agent.conn?.terminate();

    // What survived: everything up to the last committed chunk, with no hole before it.
    const after = openStore(db, { readonly: true });
    const survived = after.readRange('h1', 0, Number.MAX_SAFE_INTEGER).samples.map((s) => s.t);
    after.close();
    expect(survived.length).toBeGreaterThan(0);
    expect(survived).toEqual(survived.map((_, k) => T0 + (k + 1) * 1000));
    const lostTail = (sentBeforeCrash - survived.at(-1)!) / 1000;
    console.log(
      `kill -9: ${survived.length} of ${i} samples were on disk; the in-memory tail lost was ${lostTail}`,
    );
    expect(lostTail).toBeLessThanOrEqual(3 + 2);

    // The agent goes on sampling while the hub is down, then reconnects and backfills.
    for (; i < 45; i++) agent.tick(i + 1);
    const second = await spawnHub(args);
    children.push(second);
    expect(await agent.connect(second.url)).toBe(survived.at(-1));
    for (; i < 50; i++) {
      agent.tick(i + 1);
      await sleep(25);
    }
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const health = (await (await fetch(`${second.url}/healthz`)).json()) as {
        store: { samplesPending: number };
      };
      if (health.store.samplesPending === 0 && (await lastT(second)) === T0 + i * 1000) break;
      await sleep(50);
    }
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);

    const final = openStore(db, { readonly: true });
    const all = final.readRange('h1', 0, Number.MAX_SAFE_INTEGER).samples.map((s) => s.t);
    final.close();
    expect(all).toEqual(Array.from({ length: i }, (_, k) => T0 + (k + 1) * 1000));
  }, 60_000);
});

async function lastT(hub: HubProcess): Promise<number | null> {
  const r = (await (await fetchAs(hub.token!)(`${hub.url}/api/hosts`)).json()) as {
    hosts: { host: string; lastSeen: number | null }[];
  };
  return r.hosts.find((h) => h.host === 'h1')?.lastSeen ?? null;
}
