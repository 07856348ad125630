import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchPage, fetchRetrying, HubRequestError, UNAVAILABLE_RETRIES } from '../src/replay/api.ts';

/** A hub that answers 503 with Retry-After `unavailable` times, then the page. */
function hub(unavailable: number, retryAfter: string | null = '2') {
  const calls: { url: string; method: string }[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    calls.push({ url, method: init?.method ?? 'GET' });
    if (calls.length <= unavailable)
      return new Response(
        JSON.stringify({ error: 'NATS JetStream: reading chunks of hv-2: no responders' }),
        {
          status: 503,
          headers: retryAfter === null ? {} : { 'retry-after': retryAfter },
        },
      );
    return new Response(JSON.stringify({ host: 'hv-2', topologies: [], samples: [] }), { status: 200 });
  });
  return calls;
}

describe('a read the hub answers 503 (a fleet mid-failover)', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('FLEET15: is asked again after Retry-After, and the page comes', async () => {
    vi.useFakeTimers();
    const calls = hub(2);
    const page = fetchPage('hv-2', 1, 2);
    await vi.advanceTimersByTimeAsync(4_000);
    await expect(page).resolves.toEqual({ samples: [], topologies: [] });
    expect(calls.length).toBe(3);
  });

  it('FLEET15: at most UNAVAILABLE_RETRIES times, then the reason the hub gave', async () => {
    const waits: number[] = [];
    const calls = hub(100);
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    const res = await fetchRetrying('/api/hosts/hv-2/recording?start=1&end=2', undefined, sleep);
    expect(res.status).toBe(503);
    expect(calls.length).toBe(UNAVAILABLE_RETRIES + 1);
    expect(waits).toEqual(Array(UNAVAILABLE_RETRIES).fill(2000));
    vi.useFakeTimers();
    const page = fetchPage('hv-2', 1, 2);
    const failed = expect(page).rejects.toThrow(
      new HubRequestError('NATS JetStream: reading chunks of hv-2: no responders'),
    );
    await vi.advanceTimersByTimeAsync(60_000);
    await failed;
  });

  it('FLEET15: a change (POST) or a 503 without Retry-After is not repeated', async () => {
    const calls = hub(1);
    const res = await fetchRetrying('/api/recordings', { method: 'POST' });
    expect([res.status, calls.length]).toEqual([503, 1]);
    const bare = hub(1, null);
    expect((await fetchRetrying('/api/replay')).status).toBe(503);
    expect(bare.length).toBe(1);
  });
});
