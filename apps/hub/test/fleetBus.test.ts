import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NatsBus } from '../src/fleet/bus.ts';
import { fleetNames } from '../src/fleet/connect.ts';
import type { LiveSink, LiveState } from '../src/seams/bus.ts';
import type { NatsCluster } from './helpers/natsCluster.ts';
import { natsAvailable, startNatsServer } from './helpers/natsServer.ts';

/**
 * NatsBus on a real nats-server: two replicas' buses (own connections), a host whose agent moves
 * between them (`owner` below), and a browser's sink counting what it gets.
 */
const RENEW_MS = 200;
const names = fleetNames('bustest');
let server: NatsCluster;
const conns: NatsConnection[] = [];
const buses: NatsBus[] = [];
let owner: 'A' | 'B' | null = null;
const state = (seq: number): LiveState => ({
  topology: null,
  latest: { t: seq, json: JSON.stringify({ t: seq, from: owner }) },
});

async function bus(name: 'A' | 'B'): Promise<NatsBus> {
  const nc = await connect({ servers: server.urls });
  conns.push(nc);
  const b = new NatsBus(nc, names, (host) => (host === 'h1' && owner === name ? state(0) : null), Date.now, {
    renewMs: RENEW_MS,
  });
  buses.push(b);
  return b;
}

function countingSink(): LiveSink & { samples: string[] } {
  const samples: string[] = [];
  return {
    samples,
    topology() {},
    sample(_host, json) {
      samples.push(json);
    },
  };
}

const sample = (t: number) => JSON.stringify({ t });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.runIf(natsAvailable('fleetBus.test.ts'))('NatsBus (docs/fleet.md, live frames)', () => {
  beforeAll(async () => {
    server = await startNatsServer();
  }, 30_000);
  afterAll(async () => {
    for (const b of buses) await b.close();
    for (const nc of conns) await nc.close();
    await server?.stop();
  });

  it('FLEET8: after the host fails over to the browser’s own replica, each frame arrives once', async () => {
    owner = 'B';
    const [a, b] = [await bus('A'), await bus('B')];
    const sink = countingSink();
    const stop = a.watch('h1', sink);
    // Live through NATS while B holds the host.
    await vi.waitFor(() => expect(b.watched('h1')).toBe(true), { timeout: 5_000 });
    b.publishSample('h1', sample(1));
    await vi.waitFor(() => expect(sink.samples).toContain(sample(1)), { timeout: 5_000 });
    // B dies, the agent reconnects to A; several renewals pass (A must not lease itself).
    owner = 'A';
    await sleep(4 * RENEW_MS);
    const before = sink.samples.length;
    for (let t = 2; t <= 6; t++) a.publishSample('h1', sample(t));
    await sleep(3 * RENEW_MS);
    expect(sink.samples.slice(before)).toEqual([2, 3, 4, 5, 6].map(sample));
    stop();
  });

  it('FLEET9: a browser that started watching while the host was local keeps getting frames after it moves away', async () => {
    owner = 'A';
    const [a, b] = buses as [NatsBus, NatsBus];
    const sink = countingSink();
    const stop = a.watch('h1', sink);
    a.publishSample('h1', sample(10));
    expect(sink.samples).toEqual([JSON.stringify({ t: 0, from: 'A' }), sample(10)]);
    // A loses the agent to B: A's browser asks B for a lease, gets B's state, then B's frames.
    owner = 'B';
    await vi.waitFor(() => expect(b.watched('h1')).toBe(true), { timeout: 5_000 });
    await vi.waitFor(() => expect(sink.samples).toContain(JSON.stringify({ t: 0, from: 'B' })), {
      timeout: 5_000,
    });
    for (let t = 11; t <= 13; t++) b.publishSample('h1', sample(t));
    await vi.waitFor(
      () =>
        expect(sink.samples.filter((s) => s !== JSON.stringify({ t: 0, from: 'B' })).slice(-3)).toEqual(
          [11, 12, 13].map(sample),
        ),
      {
        timeout: 5_000,
      },
    );
    await sleep(2 * RENEW_MS);
    // Once each, and nothing else arrived twice.
    expect(new Set(sink.samples).size).toBe(sink.samples.length);
    stop();
  });
});
