import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { serveRecording } from '../src/replay/serve.ts';
import type { Mark } from '../src/store/marks.ts';
import { authedFetch as fetch, fetchAs, TEST_AUTH } from './helpers/auth.ts';
import { FakeAgent } from './helpers/clients.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';

const hubs: Hub[] = [];
/** POST /api/import takes gzip only (cross-site request protection). */
const GZIP = { 'content-type': 'application/gzip' };
async function hub(over: Partial<Parameters<typeof startHub>[0]> = {}): Promise<Hub> {
  const h = await startHub({
    port: 0,
    db: ':memory:',
    agentToken: 'rp-token',
    log: silentLogger,
    auth: TEST_AUTH,
    ...over,
  });
  hubs.push(h);
  return h;
}
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
});

/** 20 s of h1 a minute ago, written as an agent's frames would be. */
function recordH1(h: Hub): number {
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  h.core.onTopology('h1', t0, makeTopology('h1'));
  for (let i = 1; i <= 20; i++)
    h.store.append('h1', makeSample(t0 + i * 1000, { 'veth-a': row({ txPackets: 50 }) }));
  h.store.flush();
  return t0;
}
async function call(h: Hub, method: string, path: string, body?: unknown) {
  const res = await fetch(`${h.url}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

describe('REST /api/recordings', () => {
  it('creates (ISO or ms), lists, renames, reads, deletes; answers mistakes with 400/404 in words', async () => {
    const h = await hub();
    const t0 = recordH1(h);
    const created = await call(h, 'POST', '/api/recordings', {
      name: 'INC-4711 packet loss on net-node-3',
      hosts: ['h1'],
      start: new Date(t0 + 5000).toISOString(),
      end: t0 + 15_000,
    });
    expect(created.status).toBe(201);
    const mark = created.body as unknown as Mark;
    expect(mark).toMatchObject({
      name: 'INC-4711 packet loss on net-node-3',
      hosts: ['h1'],
      start: t0 + 5000,
    });
    expect((await call(h, 'GET', '/api/recordings')).body).toEqual({ recordings: [mark] });
    const renamed = await call(h, 'PATCH', `/api/recordings/${mark.id}`, { name: 'INC-4711 (fixed)' });
    expect(renamed.body).toMatchObject({ id: mark.id, name: 'INC-4711 (fixed)', end: t0 + 15_000 });
    expect((await call(h, 'GET', `/api/recordings/${mark.id}`)).body).toMatchObject({
      name: 'INC-4711 (fixed)',
    });
    const bad = await call(h, 'POST', '/api/recordings', { name: '', start: 1, end: 2 });
    expect(bad).toEqual({ status: 400, body: { error: expect.stringMatching(/needs a name/) } });
    expect((await call(h, 'POST', '/api/recordings', { name: 'x', start: 'yesterday', end: 2 })).status).toBe(
      400,
    );
    expect((await call(h, 'DELETE', `/api/recordings/${mark.id}`)).status).toBe(204);
    expect((await call(h, 'GET', `/api/recordings/${mark.id}`)).status).toBe(404);
    expect((await call(h, 'DELETE', `/api/recordings/${mark.id}`)).status).toBe(404);
  });
});

describe('GET /api/export → POST /api/import', () => {
  it('moves a named recording to another hub, which serves it as recorded', async () => {
    const a = await hub();
    const t0 = recordH1(a);
    const mark = (await call(a, 'POST', '/api/recordings', { name: 'inc', start: t0 + 5000, end: t0 + 9000 }))
      .body as unknown as Mark;
    const res = await fetch(`${a.url}/api/export?rec=${mark.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/gzip');
    expect(res.headers.get('content-disposition')).toMatch(
      /attachment; filename="hopwatch-.*\.hwrec\.ndjson\.gz"/,
    );
    const file = Buffer.from(await res.arrayBuffer());
    const lines = gunzipSync(file).toString().trimEnd().split('\n');
    expect(JSON.parse(lines.at(-1)!)).toEqual({
      type: 'end',
      counts: { topology: 1, sample: 5, keyframe: 0, mark: 1 },
    });

    const b = await hub();
    const imported = await fetch(`${b.url}/api/import`, { method: 'POST', headers: GZIP, body: file });
    expect(imported.status).toBe(201);
    expect(await imported.json()).toMatchObject({ samples: 5, recordings: [mark.id] });
    const hosts = (await call(b, 'GET', '/api/hosts')).body as { hosts: { host: string; status: string }[] };
    expect(hosts.hosts).toEqual([expect.objectContaining({ host: 'h1', status: 'lost' })]);
    const rec = (await call(b, 'GET', `/api/hosts/h1/recording?start=${t0}&end=${t0 + 60_000}`)).body as {
      samples: { t: number }[];
    };
    expect(rec.samples.map((s) => s.t)).toEqual([5, 6, 7, 8, 9].map((i) => t0 + i * 1000));
    const info = (await call(b, 'GET', '/api/replay')).body;
    expect(info).toMatchObject({
      source: 'live',
      hosts: [{ host: 'h1', start: t0 + 4000, end: t0 + 9000 }],
      recordings: [expect.objectContaining({ id: mark.id, name: 'inc' })],
    });

    // The same file again collides with itself; under a suffix it goes in beside it.
    const again = await fetch(`${b.url}/api/import`, { method: 'POST', headers: GZIP, body: file });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({
      imported: false,
      error: expect.stringMatching(/host-suffix/),
    });
    const suffixed = await fetch(`${b.url}/api/import?hostSuffix=-copy`, {
      method: 'POST',
      headers: GZIP,
      body: file,
    });
    expect(suffixed.status).toBe(201);
    expect((await call(b, 'GET', '/api/replay')).body).toMatchObject({
      hosts: [{ host: 'h1' }, { host: 'h1-copy' }],
    });
  });

  it('a damaged upload is a 400 that says why, and the hub holds nothing of it', async () => {
    const a = await hub();
    recordH1(a);
    const file = Buffer.from(await (await fetch(`${a.url}/api/export?hosts=h1`)).arrayBuffer());
    const b = await hub();
    const res = await fetch(`${b.url}/api/import`, {
      method: 'POST',
      headers: GZIP,
      body: file.subarray(0, file.length - 20),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      imported: false,
      error: expect.stringMatching(/damaged|truncated/),
    });
    expect((await call(b, 'GET', '/api/replay')).body).toMatchObject({ hosts: [], recordings: [] });
    expect(b.store.stats().chunks).toBe(0);
  });

  it('export names unknown hosts and bad ranges', async () => {
    const a = await hub();
    recordH1(a);
    expect((await call(a, 'GET', '/api/export?hosts=nope')).body).toMatchObject({ knownHosts: ['h1'] });
    expect((await call(a, 'GET', '/api/export?hosts=h1&start=5&end=1')).status).toBe(400);
  });
});

describe('serveRecording (hopwatch replay FILE)', () => {
  it('serves a file from a temporary store with no agent ingest, and removes the store on close', async () => {
    const a = await hub();
    const t0 = recordH1(a);
    const file = join(mkdtempSync(join(tmpdir(), 'hwt-rp-serve-')), 'inc.hwrec.ndjson.gz');
    writeFileSync(file, Buffer.from(await (await fetch(`${a.url}/api/export?hosts=h1`)).arrayBuffer()));
    const server = await serveRecording({ file, port: 0, log: silentLogger });
    try {
      expect(server.startUrl).toBe(
        `${server.hub.url}/?host=h1&t=${new Date(t0 + 1000).toISOString()}&token=${server.hub.auth.access!.token}`,
      );
      const asServer = fetchAs(server.hub.auth.access!.token);
      expect(await (await asServer(`${server.hub.url}/api/replay`)).json()).toMatchObject({
        source: 'file',
        file: 'inc.hwrec.ndjson.gz',
        hosts: [{ host: 'h1', start: t0, end: t0 + 20_000 }],
      });
      const agent = new FakeAgent(server.hub.url, 'intruder', { token: 'rp-token' });
      expect(await agent.refused).toBe(401);
      agent.terminate();
    } finally {
      await server.close();
      rmSync(dirname(file), { recursive: true, force: true });
    }
    expect(existsSync(server.hub.store.path)).toBe(false);
  });
});
