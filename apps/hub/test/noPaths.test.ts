import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { TEST_AUTH, authedFetch as fetch } from './helpers/auth.ts';

const dir = mkdtempSync(join(tmpdir(), 'hwt-nopaths-'));
const hubs: Hub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Anything that looks like a file path of this machine: the db's directory, node_modules, a home. */
const PATHISH = /\/(tmp|work|home|root|usr|var|etc)\/|node_modules|\.db\b|at .*\(.*:\d+:\d+\)/;

describe('no file paths in /healthz or API answers', () => {
  it('PATH1: /healthz says how the store is doing, not where it is', async () => {
    const h = await startHub({
      auth: TEST_AUTH,
      port: 0,
      db: join(dir, 'secret-place.db'),
      agentToken: null,
      log: silentLogger,
    });
    hubs.push(h);
    const text = await (await fetch(`${h.url}/healthz`)).text();
    expect(JSON.parse(text)).toMatchObject({ ok: true, store: { bytes: expect.any(Number) } });
    expect(text).not.toContain('secret-place');
    expect(text).not.toMatch(PATHISH);
  });

  it('PATH2: malformed requests get a JSON error in words, not a stack trace with the hub’s files', async () => {
    const errors: string[] = [];
    const h = await startHub({
      auth: TEST_AUTH,
      port: 0,
      db: ':memory:',
      agentToken: null,
      log: { info() {}, warn() {}, error: (m) => errors.push(m) },
    });
    hubs.push(h);
    const bad = await fetch(`${h.url}/api/recordings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/application\/json/);
    const body = await bad.text();
    expect(JSON.parse(body)).toEqual({ error: expect.any(String) });
    expect(body).not.toMatch(PATHISH);
    const huge = await fetch(`${h.url}/api/recordings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(100_000) }),
    });
    expect(huge.status).toBe(413);
    expect(await huge.text()).not.toMatch(PATHISH);
  });

  it('PATH3: GET /api/replay names the replayed file, not its path', async () => {
    const h = await startHub({
      auth: TEST_AUTH,
      port: 0,
      db: ':memory:',
      agentToken: null,
      log: silentLogger,
      replaySource: join(dir, 'incidents', 'inc-4711.hwrec.ndjson.gz'),
    });
    hubs.push(h);
    const r = (await (await fetch(`${h.url}/api/replay`)).json()) as { file: string };
    expect(r.file).toBe('inc-4711.hwrec.ndjson.gz');
  });
});
