import { afterEach, describe, expect, it } from 'vitest';
import { RECORDING_MAX_TOPOLOGIES } from '../src/http/api.ts';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { recordingLines } from '../src/replay/export.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';
import { TEST_AUTH, authedFetch as fetch } from './helpers/auth.ts';

const T0 = 1_700_000_000_000;
const MiB = 1024 ** 2;
const stores: Store[] = [];
const hubs: Hub[] = [];
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
  for (const s of stores.splice(0)) s.close();
});
function open(): Store {
  const s = openStore(':memory:', { autoPump: false, chunkMs: 10_000, now: () => T0 });
  stores.push(s);
  return s;
}
function record(s: Store, host: string, seconds: number): void {
  s.appendTopology(host, T0, makeTopology(host));
  for (let i = 1; i <= seconds; i++)
    s.append(host, makeSample(T0 + i * 1000, { 'veth-a': row({ rxPackets: i }) }));
  s.flush();
}

describe('ranges are capped before blobs are loaded', () => {
  it('CAP1: readRange with maxSamples never reads the chunk rows past the cap', () => {
    const s = open();
    record(s, 'h1', 30);
    // 100 rows of 1 MiB after the real ones: a reader that fetches every row of the range first
    // holds 100 MiB before it looks at the first sample.
    const junk = s.db.prepare(
      `INSERT INTO chunks (host, start_t, end_t, samples, codec, bytes, summary, data) VALUES ('h1', ?, ?, 10, 'cols1+br', ?, NULL, zeroblob(?))`,
    );
    for (let i = 0; i < 100; i++) junk.run(T0 + 40_000 + i * 10_000, T0 + 49_000 + i * 10_000, MiB, MiB);
    global.gc?.();
    const before = process.memoryUsage().arrayBuffers;
    let peak = before;
    const rec = s.readRange('h1', T0, T0 + 2000_000, { maxSamples: 15 });
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    expect(rec.samples).toHaveLength(15);
    expect(rec).toMatchObject({ truncated: true, nextStart: T0 + 15_001 });
    expect((peak - before) / MiB).toBeLessThan(20);
    expect(s.stats().corruptChunks).toBe(0);
  });

  it('CAP2: GET /recording of a host whose topology churns answers at most RECORDING_MAX_TOPOLOGIES, then pages on', async () => {
    const h = await startHub({
      auth: TEST_AUTH,
      port: 0,
      db: ':memory:',
      agentToken: null,
      log: silentLogger,
    });
    hubs.push(h);
    const now = Date.now() - 600_000;
    for (let i = 0; i < 150; i++) {
      // A namespace made and removed every second: a new topology version each time.
      h.core.onTopology('churn', now + i * 1000, makeTopology('churn', ['veth-a', `ns${i}/veth-b`]));
      h.store.append('churn', makeSample(now + i * 1000 + 500, { 'veth-a': row() }));
    }
    h.store.flush();
    const get = async (start: number) =>
      (await (
        await fetch(`${h.url}/api/hosts/churn/recording?start=${start}&end=${now + 200_000}`)
      ).json()) as {
        topologies: { t: number }[];
        samples: { t: number }[];
        truncated: boolean;
        nextStart: number | null;
      };
    const first = await get(now);
    expect(first.topologies).toHaveLength(RECORDING_MAX_TOPOLOGIES);
    expect(first.truncated).toBe(true);
    expect(first.nextStart).toBe(first.topologies.at(-1)!.t + 1000);
    expect(first.samples.every((x) => x.t < first.nextStart!)).toBe(true);
    const second = await get(first.nextStart!);
    expect(second.topologies[0]!.t).toBe(first.nextStart);
    expect(second.samples[0]!.t).toBe(first.samples.at(-1)!.t + 1000);
  });

  it('CAP3: an export asked for 1970 to 2100 walks only what the host has on record', async () => {
    const s = open();
    record(s, 'h1', 30);
    const lines: string[] = [];
    const t0 = performance.now();
    for await (const l of recordingLines(s, { hosts: ['h1'], start: 0, end: 4_102_444_800_000, marks: [] }))
      lines.push(l);
    expect(lines.filter((l) => l.includes('"type":"sample"'))).toHaveLength(30);
    // 6.8 million 10-minute pages, each with a query and a yield, would take many minutes.
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('CAP4: a diagnosis window holding more samples than DIAGNOSIS_MAX_SAMPLES is refused before any is decoded', async () => {
    const h = await startHub({
      auth: TEST_AUTH,
      port: 0,
      db: ':memory:',
      agentToken: null,
      log: silentLogger,
    });
    hubs.push(h);
    const t0 = Date.now() - 3_600_000;
    h.core.onTopology('fast', t0, makeTopology('fast'));
    // An agent at 100 ms: 4000 samples in 400 s.
    for (let i = 1; i <= 4000; i++)
      h.store.append(
        'fast',
        makeSample(t0 + i * 100, { 'veth-a': row({ rxPackets: i }) }, { elapsedMs: 100 }),
      );
    h.store.flush();
    const ask = (seconds: number) =>
      fetch(`${h.url}/api/hosts/fast/diagnosis?t=${t0 + 400_000}&seconds=${seconds}`);
    const big = await ask(3600);
    expect(big.status).toBe(400);
    expect(((await big.json()) as { error: string }).error).toMatch(/more than 3600: ask for fewer seconds/);
    expect((await ask(10)).status).toBe(200);
  });
});
