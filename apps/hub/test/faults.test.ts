import { CLOSE, PROTOCOL_VERSION } from '@hopwatch/shared';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { MAX_FUTURE_SKEW_MS } from '../src/core.ts';
import { TEST_AUTH } from './helpers/auth.ts';
import { FakeAgent } from './helpers/clients.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';

const hubs: Hub[] = [];
const agents: FakeAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) a.terminate();
  await Promise.all(hubs.splice(0).map((h) => h.close()));
});

async function hub(over: Partial<Parameters<typeof startHub>[0]> = {}) {
  const h = await startHub({
    port: 0,
    db: ':memory:',
    agentToken: null,
    log: silentLogger,
    auth: TEST_AUTH,
    ...over,
  });
  hubs.push(h);
  return h;
}
function agent(h: Hub, host: string, instance?: string) {
  const a = new FakeAgent(h.url, host, instance ? { instance } : {});
  agents.push(a);
  return a;
}
/** Polls until fn() passes (vitest's own retry loop): the hub handles frames asynchronously to the test. */
const eventually = (fn: () => void | Promise<void>, timeoutMs = 10_000) =>
  vi.waitFor(fn, { timeout: timeoutMs, interval: 25 });

/** mulberry32: a seeded PRNG, so a failing fuzz case is the same case on every run. */
function prng(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = [
  '',
  'null',
  '[]',
  '"sample"',
  '{"type":"sample"}',
  '{"__proto__":{"polluted":1},"type":"ping","t":1}',
  '{"constructor":{"prototype":{"polluted":1}},"type":"log","level":"info","message":"x"}',
  `{"type":"ping","t":${'9'.repeat(400)}}`,
  `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
  `{"type":"sample","seq":1,"backfill":false,"sample":{"t":-1,"elapsedMs":0,"ifaces":{}}}`,
  '{"type":"topology","seq":1,"t":1,"topology":{"host":"fuzz","ifaces":"all"}}',
  '\u0000\u0001\u0002',
  '{"type":"hello","protocol":1,"host":"other","agentVersion":"x","instance":"i","intervalMs":1000,"tracing":"on"}',
];

describe('fault injection', () => {
  it('survives thousands of fuzzed frames: each rejected or accepted, none crashes, the recording goes on', async () => {
    const h = await hub({ agentLimits: { maxBadFramesPerMin: 1_000_000 } });
    const a = agent(h, 'fuzz');
    await a.hello();
    const base = Date.now() - 86_400_000;
    const seeds = [
      JSON.stringify({ type: 'topology', seq: 1, t: base, topology: makeTopology('fuzz') }),
      JSON.stringify({
        type: 'sample',
        seq: 2,
        backfill: false,
        sample: makeSample(base + 1000, { 'veth-a': row({ rxPackets: 5 }) }),
      }),
      JSON.stringify({ type: 'keyframe', seq: 3, keyframe: { t: base, ifaces: {}, softnet: [] } }),
      JSON.stringify({ type: 'log', level: 'warn', message: 'hello' }),
      JSON.stringify({ type: 'ping', t: 1 }),
    ];
    const rnd = prng(0x5eed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const frames: string[] = [...NASTY];
    for (let i = 0; i < 3000; i++) {
      let f = pick(seeds);
      const edits = 1 + Math.floor(rnd() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * f.length);
        const op = rnd();
        if (op < 0.3)
          f =
            f.slice(0, at) + pick(['"', '{', '}', ',', ':', '-', '9', 'e', 'x', '[', ']']) + f.slice(at + 1);
        else if (op < 0.55) f = f.slice(0, at) + f.slice(at + 1 + Math.floor(rnd() * 8));
        else if (op < 0.75) f = f.slice(0, at);
        else f = f.slice(0, at) + pick(['null', '"x"', '-1', '1e999', '[]', '{}', 'true']) + f.slice(at);
      }
      frames.push(f);
    }
    for (const f of frames) a.sendRaw(f);
    // Newer than any fuzzed time the hub accepted (none is further ahead than the allowance).
    const finalT = Date.now() + MAX_FUTURE_SKEW_MS - 1000;
    a.sample(makeSample(finalT, { 'veth-a': row({ rxPackets: 1 }) }));
    await eventually(() => expect(h.store.lastT('fuzz')).toBe(finalT));

    const c = h.core.counters;
    expect(c.rejected.get('internal_error')).toBe(0);
    const rejected = [...c.rejected.values()].reduce((n, x) => n + x, 0);
    // hello + fuzz + final sample all arrived; everything not rejected was a valid frame.
    expect(c.framesReceived).toBe(frames.length + 2);
    expect(rejected).toBeGreaterThan(frames.length * 0.8);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  }, 60_000);

  it('too many bad frames in a minute close the connection with CLOSE.badFrame', async () => {
    const h = await hub({ agentLimits: { maxBadFramesPerMin: 20 } });
    const a = agent(h, 'noisy');
    await a.hello();
    for (let i = 0; i < 30; i++) a.sendRaw(`junk ${i}`);
    const closed = await a.closed;
    expect(closed.code).toBe(CLOSE.badFrame);
    expect(closed.reason).toContain('too many bad frames');
    expect(h.core.counters.refused.get('too_many_bad_frames')).toBe(1);
  });

  it('a flood from one agent is slowed down (socket paused), counted, and nothing is lost', async () => {
    const h = await hub({ agentLimits: { framesPerS: 200, frameBurst: 50 } });
    const a = agent(h, 'flood');
    await a.hello();
    const N = 400;
    const t0 = Date.now() - 100_000;
    for (let i = 1; i <= N; i++) a.sample(makeSample(t0 + i * 100));
    await eventually(() => expect(h.store.lastT('flood')).toBe(t0 + N * 100), 20_000);
    expect(h.core.counters.agentThrottled).toBeGreaterThan(0);
    expect(h.store.readRange('flood', 0, Date.now()).samples).toHaveLength(N);
  }, 30_000);

  it('a host whose agent went silent can be taken over by a new agent', async () => {
    const h = await hub({ agentLimits: { goneAfterMs: 200 } });
    const first = agent(h, 'h1');
    await first.hello({ intervalMs: 100 });
    // Silent, socket still open (a hung agent or a half-open connection).
    await new Promise((r) => setTimeout(r, 400));
    const second = agent(h, 'h1');
    const welcome = await second.hello();
    expect(welcome.protocol).toBe(PROTOCOL_VERSION);
    expect((await first.closed).code).toBe(CLOSE.duplicateHost);
  });

  it('an agent that disappears without a close frame frees its host name at once', async () => {
    const h = await hub();
    const first = agent(h, 'h1');
    await first.hello();
    first.terminate();
    await eventually(() => expect(h.core.agentsConnected()).toBe(0));
    expect((await agent(h, 'h1').hello()).type).toBe('welcome');
  });
});
