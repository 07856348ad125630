import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import {
  isTransient,
  JetStreamRace,
  JetStreamUnavailable,
  whenJetStreamReady,
} from '../src/fleet/streams.ts';
import { jsonErrors, UNAVAILABLE_RETRY_S } from '../src/http/errors.ts';
import type { Logger } from '../src/log.ts';

/** An error as @nats-io/jetstream's JetStreamApiError carries it: the server's words and code. */
const apiError = (description: string, status: number) => Object.assign(new Error(description), { status });

describe('a NATS cluster mid-failover is "not now", not a broken hub', () => {
  it('FLEET15: the server words for an election are transient; data answers are not', () => {
    expect(isTransient(apiError('JetStream system temporarily unavailable', 503))).toBe(true);
    expect(isTransient(new Error('JetStream cluster can not handle request'))).toBe(true);
    expect(isTransient(new Error('stream is offline'))).toBe(true);
    expect(isTransient(new Error('idle heartbeats missed'))).toBe(true);
    expect(isTransient(new JetStreamRace('the scan read none of its pending messages'))).toBe(true);
    expect(isTransient(apiError('stream not found', 404))).toBe(false);
    expect(isTransient(apiError('wrong last sequence: 7', 400))).toBe(false);
    expect(isTransient(null)).toBe(false);
  });

  it('FLEET15: a race is asked again within the wait; past it the error says 503 and why', async () => {
    let calls = 0;
    const ok = await whenJetStreamReady(
      'reading chunks of hv-1',
      async () => {
        calls += 1;
        if (calls < 3) throw new JetStreamRace('the chunk stream changed under the read');
        return 'read';
      },
      5_000,
    );
    expect([ok, calls]).toEqual(['read', 3]);

    const down = await whenJetStreamReady(
      'reading chunks of hv-2',
      () => Promise.reject(apiError('JetStream system temporarily unavailable', 503)),
      300,
    ).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(JetStreamUnavailable);
    expect((down as JetStreamUnavailable).status).toBe(503);
    expect((down as Error).message).toMatch(
      /reading chunks of hv-2: JetStream system temporarily unavailable/,
    );

    // About the data: thrown at once, no status, a 500 for the handler.
    const t0 = Date.now();
    const bad = await whenJetStreamReady(
      'reading chunks of hv-3',
      () => Promise.reject(apiError('stream not found', 404)),
      5_000,
    ).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(bad).not.toBeInstanceOf(JetStreamUnavailable);
    expect((bad as { status?: number }).status).toBeUndefined();
  });

  it('FLEET15: the route answers 503 with Retry-After and the reason; anything else stays a bare 500', async () => {
    const logged: string[] = [];
    const log: Logger = {
      info() {},
      warn: (m) => logged.push(`warn ${m}`),
      error: (m) => logged.push(`error ${m}`),
    };
    const app = express();
    app.get('/down', async () => {
      throw new JetStreamUnavailable(
        'NATS JetStream: reading chunks of hv-2: no responders (still so after 10 s)',
      );
    });
    app.get('/broken', async () => {
      throw new Error('a bug with /srv/hopwatch/secret paths');
    });
    app.use(jsonErrors(log));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const down = await fetch(`${base}/down`);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe(String(UNAVAILABLE_RETRY_S));
      expect(((await down.json()) as { error: string }).error).toMatch(
        /reading chunks of hv-2: no responders/,
      );
      const broken = await fetch(`${base}/broken`);
      expect(broken.status).toBe(500);
      expect(await broken.text()).not.toContain('secret');
      expect(logged.map((l) => l.split(' ')[0])).toEqual(['warn', 'error']);
    } finally {
      server.close();
    }
  });
});
