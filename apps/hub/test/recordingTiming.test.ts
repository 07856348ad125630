import { afterEach, describe, expect, it } from 'vitest';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { authedFetch as fetch, TEST_AUTH } from './helpers/auth.ts';
import { FakeAgent } from './helpers/clients.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';

describe('GET /api/hosts/:host/recording (Server-Timing)', () => {
  const hubs: Hub[] = [];
  const agents: FakeAgent[] = [];
  afterEach(async () => {
    for (const a of agents.splice(0)) a.close();
    for (const h of hubs.splice(0)) await h.close();
  });

  it('answers the same JSON and content type as res.json, and says where its time went', async () => {
    const token = 'test-token-0123456789';
    const h = await startHub({
      port: 0,
      db: ':memory:',
      agentToken: token,
      log: silentLogger,
      auth: TEST_AUTH,
    });
    hubs.push(h);
    const a = new FakeAgent(h.url, 'h1', { token });
    agents.push(a);
    await a.hello();
    const t0 = Date.now() - 20_000;
    a.topology(t0, makeTopology('h1'));
    for (let i = 1; i <= 3; i++) a.sample(makeSample(t0 + i * 1000, { 'veth-a': row({ rxPackets: i }) }));
    for (let k = 0; k < 100 && h.store.lastT('h1') !== t0 + 3000; k++)
      await new Promise((r) => setTimeout(r, 20));
    const url = `${h.url}/api/hosts/h1/recording?start=${t0}&end=${t0 + 2000}`;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('server-timing')).toMatch(/^load;dur=[\d.]+, read;dur=[\d.]+, json;dur=[\d.]+$/);
    const text = await res.text();
    const rec = h.store.readRange('h1', t0, t0 + 2000, { maxSamples: 3600, maxTopologies: 60 });
    const expected = {
      host: 'h1',
      start: t0,
      end: t0 + 2000,
      topologies: rec.topologies,
      samples: rec.samples,
      truncated: rec.truncated,
      nextStart: rec.nextStart,
    };
    expect(text).toBe(JSON.stringify(expected));
    expect(rec.samples.map((s) => s.t)).toEqual([t0 + 1000, t0 + 2000]);
  });
});
