import { describe, expect, it } from 'vitest';
import { formatTraffic } from '../src/format.ts';
import { resolveTraffic, senderArgv, sinkArgv, TRAFFIC_TARGETS } from '../src/traffic.ts';

describe('lab traffic', () => {
  it('defaults: 10 kpps of full-size UDP for 10 s to qg-a1, no probe', () => {
    expect(resolveTraffic({})).toEqual({
      ok: true,
      t: {
        rate: 10_000,
        seconds: 10,
        size: 1472,
        to: '203.0.113.10',
        port: 9000,
        sinkNetns: 'hwlab-qrouter-a1',
        probeCount: null,
        flows: 1,
        noise: 0,
      },
    });
    expect(resolveTraffic({ flows: 0 })).toMatchObject({ ok: false });
    expect(resolveTraffic({ flows: 400, noise: 200 })).toMatchObject({
      ok: true,
      t: { flows: 400, noise: 200 },
    });
  });

  it("only the lab's own addresses are targets, each with its sink namespace", () => {
    expect(TRAFFIC_TARGETS).toEqual({
      '203.0.113.10': 'hwlab-qrouter-a1',
      '10.10.0.1': 'hwlab-qrouter-a1',
      '203.0.113.20': 'hwlab-qrouter-b2',
      '10.10.0.5': 'hwlab-vm1',
    });
    expect(resolveTraffic({ to: '127.0.0.1' }).ok).toBe(false);
    expect(resolveTraffic({ to: '203.0.113.1' }).ok).toBe(false);
  });

  it("the probe spans the flood: 100 probes per second, 4000 (the seed's) when unbounded", () => {
    const r = (o: Parameters<typeof resolveTraffic>[0]) => {
      const x = resolveTraffic(o);
      return x.ok ? x.t.probeCount : 'error';
    };
    expect(r({ probe: true, seconds: 30 })).toBe(3000);
    expect(r({ probe: true, seconds: 0 })).toBe(4000);
    expect(r({ probe: true, probeCount: 50 })).toBe(50);
    expect(r({ rate: 0, probe: true })).toBe(1000);
  });

  it('pins the sender (1 ms ticks) and the sink to CPU 0, away from the RPS target', () => {
    const x = resolveTraffic({ to: '10.10.0.5', rate: 500, seconds: 3, size: 64 });
    if (!x.ok) throw new Error(x.error);
    const s = senderArgv(x.t, '/usr/bin/node');
    expect(s.slice(0, 7)).toEqual(['netns', 'exec', 'hwlab-up', 'taskset', '-c', '0', '/usr/bin/node']);
    expect(s[7]).toMatch(/traffic\/sender\.mjs$/);
    expect(s.slice(8)).toEqual([
      '--to',
      '10.10.0.5',
      '--port',
      '9000',
      '--rate',
      '500',
      '--seconds',
      '3',
      '--size',
      '64',
      '--tick-ms',
      '1',
    ]);
    const k = sinkArgv(x.t, '/usr/bin/node');
    expect(k.slice(0, 6)).toEqual(['netns', 'exec', 'hwlab-vm1', 'taskset', '-c', '0']);
    expect(k.slice(-4)).toEqual(['--addr', '10.10.0.5', '--port', '9000']);
  });

  it('prints what was sent and received', () => {
    const text = formatTraffic({
      to: '203.0.113.10',
      port: 9000,
      rate: 10_000,
      size: 1472,
      flood: { sent: 100_000, received: 99_990, lost: 10, lossRatio: 0.0001, errors: 0, elapsedMs: 10_000 },
      probe: { to: '203.0.113.10', sent: 4000, received: 3999, lost: 1, lossRatio: 0.00025 },
    });
    expect(text).toContain('sent 100000, received 99990, lost 10 (0.0100 %)');
    expect(text).toContain('probe  ping -i 0.01 203.0.113.10: sent 4000, received 3999, lost 1 (0.0250 %)');
  });
});
