import type { Topology } from '@hopwatch/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { recordingJson } from '../src/http/recordingJson.ts';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { authedFetch as fetch, TEST_AUTH } from './helpers/auth.ts';
import { FakeAgent } from './helpers/clients.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';

/** Names a JSON writer must escape: quotes, backslashes, controls, line separators, a lone surrogate. */
const NASTY = [
  'qr-"x"',
  'a\\b',
  'tab\there',
  'nl\nx',
  '\u0001\u001f',
  'ls\u2028ps\u2029',
  'lone\ud800',
  'é🙂',
];

function hostileTopology(): Topology {
  const t = makeTopology('h"1', ['veth-a', ...NASTY.map((n) => `ns1/${n}`)]);
  // An own `__proto__` key, as JSON.parse makes one from an agent's text (Object.assign would set the prototype).
  return JSON.parse(JSON.stringify(t).replace(/^\{/, '{"__proto__":{"polluted":true},')) as Topology;
}

function answer(topologies: unknown[], over: Record<string, unknown> = {}): Record<string, unknown> {
  const t0 = 1_700_000_000_000;
  return {
    host: 'h"1\u2028',
    start: t0,
    end: t0 + 10_000,
    topologies,
    samples: [
      makeSample(t0 + 1000, {
        'veth-a': row({ rxPackets: 10 }),
        [`ns1/${NASTY[0]}`]: row({ txDropped: 2 ** 53 - 1 }),
      }),
      // An own __proto__ interface key and a float, as a decoded sample could not but a reader might.
      Object.assign(makeSample(t0 + 2000), {
        ifaces: JSON.parse('{"__proto__": [1,2,3], "x": [0.5, -0, 1e21]}') as Record<string, number[]>,
      }),
    ],
    truncated: false,
    nextStart: null,
    ...over,
  };
}

describe('recordingJson: the recording answer written with its topologies spliced in (issue 12)', () => {
  it('writes exactly what JSON.stringify (res.json) wrote, hostile names, __proto__ and u64 strings included', () => {
    const topo = hostileTopology();
    const cases: Record<string, unknown>[] = [
      answer([{ t: 1, topology: topo }]),
      // Two versions, one object twice (kept text reused), an owner's version with extra keys.
      answer([
        { t: 1, topology: topo },
        { t: 2, topology: topo, digest: 'q+/=', publishedAt: 5 },
      ]),
      // Truncated (nextStart a number), no versions, an undefined key left out, a version without its topology.
      answer([], { truncated: true, nextStart: 1_700_000_003_001 }),
      answer([{ t: 3, topology: undefined }, null], { extra: undefined }),
      // Keyframe-like u64 decimal strings anywhere in the answer.
      answer([{ t: 4, topology: { ...topo, kernel: '18446744073709551615' } }], {
        keyframes: [{ t: 1, ifaces: { 'veth-a': ['18446744073709551615'] } }],
      }),
    ];
    for (const c of cases) {
      const text = recordingJson(c);
      expect(text).toBe(JSON.stringify(c));
      expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(c)));
    }
    // The parsed answer keeps __proto__ as an own key, never as a prototype.
    const parsed = JSON.parse(recordingJson(cases[0]!)) as { topologies: { topology: object }[] };
    expect(Object.hasOwn(parsed.topologies[0]!.topology, '__proto__')).toBe(true);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('a second answer with the same topology object reuses its text; another object is written afresh', () => {
    const topo = makeTopology('h1');
    const first = recordingJson(answer([{ t: 1, topology: topo }]));
    const other = { ...topo, kernel: 'other' };
    expect(recordingJson(answer([{ t: 1, topology: topo }]))).toBe(first);
    // Reused, not remade: the text stays the first one's even if the object were changed (it never is).
    topo.kernel = 'changed in place';
    expect(recordingJson(answer([{ t: 1, topology: topo }]))).toBe(first);
    expect(recordingJson(answer([{ t: 1, topology: other }]))).toBe(
      JSON.stringify(answer([{ t: 1, topology: other }])),
    );
  });
});

describe('GET /api/hosts/:host/recording through the writer', () => {
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
