import type { Sample } from '@hopwatch/shared';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { fleetNames } from '../src/fleet/connect.ts';
import { LOAD_MAX_SAMPLES } from '../src/fleet/loader.ts';
import { type NatsRecording, openNatsRecording } from '../src/fleet/recording.ts';
import { silentLogger } from '../src/log.ts';
import { CHUNK_CODEC, compressText, encodeChunk } from '../src/store/chunk.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';
import type { NatsCluster } from './helpers/natsCluster.ts';
import { natsAvailable, startNatsServer } from './helpers/natsServer.ts';

/**
 * The fleet's recording (fleet/recording.ts and its parts) on a real nats-server: replicas are
 * recordings on their own connections, sharing one prefix per test.
 */
let server: NatsCluster;
const conns: NatsConnection[] = [];
const stores: NatsRecording[] = [];

async function replica(prefix: string, chunkMs = 1000): Promise<NatsRecording> {
  const nc = await connect({ servers: server.urls });
  conns.push(nc);
  const r = await openNatsRecording(nc, fleetNames(prefix), {
    retentionMs: 3600_000,
    retentionBytes: 100e6,
    chunkMs,
    replicas: 1,
    log: silentLogger,
  });
  stores.push(r);
  return r;
}

describe.runIf(natsAvailable('fleetRecording.test.ts'))('fleet recording on NATS (docs/fleet.md)', () => {
  beforeAll(async () => {
    server = await startNatsServer();
  }, 30_000);
  afterAll(async () => {
    for (const s of stores) {
      s.close();
      await s.drain();
    }
    for (const nc of conns) await nc.close();
    await server?.stop();
  });

  it('FLEET10: a range of more chunks than the cache holds is answered from its start, capped and truncated like the SQLite store, and pages through whole', async () => {
    const prefix = 'caps';
    const names = fleetNames(prefix);
    const writer = await replica(prefix);
    // 4500 chunks of 10 samples 10 ms apart (an agent at 100 Hz: 7.5 min), published now, as an
    // owner publishes them: more chunks than the read cache's 4000.
    const js = jetstream(conns.at(-1)!);
    const CHUNKS = 4500;
    const PER = 10;
    const t0 = Date.now() - CHUNKS * PER * 10 - 5_000;
    const tOf = (i: number) => t0 + i * 10;
    for (let c = 0; c < CHUNKS; c += 250)
      await Promise.all(
        Array.from({ length: Math.min(250, CHUNKS - c) }, (_, k) => {
          const i = (c + k) * PER;
          const samples = Array.from({ length: PER }, (_, j) =>
            makeSample(tOf(i + j), { a: row({ rxPackets: i + j }) }, { elapsedMs: 10 }),
          );
          const h = headers();
          h.set('Hw-Start', String(tOf(i) - 10));
          h.set('Hw-End', String(tOf(i + PER - 1)));
          h.set('Hw-Samples', String(PER));
          h.set('Hw-Codec', CHUNK_CODEC);
          return js.publish(names.chunkSubject('big'), encodeChunk(samples, []), {
            headers: h,
            msgID: `big:${tOf(i) - 10}`,
          });
        }),
      );
    expect(writer.path).toBe(`nats:${names.chunkStream}`);

    const reader = await replica(prefix);
    const start = t0 - 1000;
    const end = tOf(CHUNKS * PER - 1);
    await reader.load!('big', start, end);
    const page = reader.readRange('big', start, end, { maxSamples: 3600 });
    // What SQLite answers: the range's first 3600 samples, truncated, read on after the last.
    expect(page.samples.length).toBe(3600);
    expect(page.samples[0]!.t).toBe(tOf(0));
    expect(page.samples.at(-1)!.t).toBe(tOf(3599));
    expect(page.truncated).toBe(true);
    expect(page.nextStart).toBe(tOf(3599) + 1);
    // Without a cap the load's own bound still says where it stops: never a silent part.
    const all = reader.readRange('big', start, end);
    expect(all.truncated).toBe(true);
    expect(all.samples[0]!.t).toBe(tOf(0));
    expect(all.samples.length).toBeGreaterThan(LOAD_MAX_SAMPLES);
    expect(all.samples.every((s, i) => s.t === tOf(i))).toBe(true);
    expect(all.nextStart).toBe(all.samples.at(-1)!.t + 1);
    // Paged as a browser pages: every sample once, in order.
    const ts: number[] = [];
    for (let s: number | null = start; s !== null; ) {
      await reader.load!('big', s, end);
      const r = reader.readRange('big', s, end, { maxSamples: 3600 });
      ts.push(...r.samples.map((x) => x.t));
      s = r.nextStart;
    }
    expect(ts.length).toBe(CHUNKS * PER);
    expect(ts.every((t, i) => t === tOf(i))).toBe(true);
  }, 120_000);

  it('FLEET11: hour summaries survive a host moving A → B → A (and two owners writing one hour); a replica that lost a host keeps nothing of it', async () => {
    const prefix = 'moves';
    const [a, b] = [await replica(prefix), await replica(prefix)];
    const topo = makeTopology('mover');
    let t = Date.now() - 30_000;
    const stint = async (r: NatsRecording, n: number) => {
      await r.adopt!('mover');
      r.appendTopology('mover', t, topo);
      for (let i = 0; i < n; i++) {
        t += 1000;
        r.append('mover', makeSample(t, { 'veth-a': row({ rxPackets: i }) }) as Sample);
      }
      r.flush();
      await r.drain();
    };
    await stint(a, 3);
    a.disown('mover');
    await stint(b, 3);
    // B loses the host with a chunk still open; A takes it back and writes the same hour while
    // B's last chunk (and its summary) is still to go out.
    t += 1000;
    b.append('mover', makeSample(t, { 'veth-a': row() }) as Sample);
    b.disown('mover');
    await stint(a, 4);
    b.flush();
    await b.drain();

    const reader = await replica(prefix);
    await reader.load!('mover', t - 60_000, t);
    const sums = reader.summaries('mover', t - 60_000, t);
    const rec = reader.readRange('mover', t - 60_000, t);
    expect(rec.samples.length).toBe(11);
    // One summary per chunk written, by A, B, A and both at the end: none overwritten.
    expect(sums.map((s) => s.end)).toEqual(rec.samples.map((s) => s.t));
    // B gave the host up: once its last chunk is written it keeps (and re-publishes) nothing.
    await vi.waitFor(() => expect(b.ownedState('mover')).toEqual({ topology: false, summaryHours: [] }), {
      timeout: 5_000,
    });
    expect(a.ownedState('mover').topology).toBe(true);
    // The reader found every chunk through the summaries' index: no consumer, no scan.
    expect(reader.loads).toEqual({ indexed: 1, scanned: 0 });
  }, 60_000);

  it('FLEET14: a seek reads its chunks by sequence from the hour summaries; a chunk the index lacks (its replica died before the summary) makes it scan, and the answer is whole', async () => {
    const prefix = 'index';
    const names = fleetNames(prefix);
    const w = await replica(prefix);
    const topo = makeTopology('ix');
    let t = Date.now() - 60_000;
    const t0 = t;
    await w.adopt!('ix');
    w.appendTopology('ix', t, topo);
    const write = async (n: number) => {
      for (let i = 0; i < n; i++) {
        t += 1000;
        w.append('ix', makeSample(t, { 'veth-a': row({ rxPackets: i }) }) as Sample);
      }
      w.flush();
      await w.drain();
    };
    await write(6);
    const first = await replica(prefix);
    await first.load!('ix', t0, t);
    expect(first.readRange('ix', t0, t).samples.length).toBe(6);
    expect(first.loads).toEqual({ indexed: 1, scanned: 0 });
    // A chunk published with no summary after it, then the owner goes on.
    const js = jetstream(conns.at(-1)!);
    const h = headers();
    h.set('Hw-Start', String(t));
    h.set('Hw-End', String(t + 2000));
    h.set('Hw-Samples', '2');
    h.set('Hw-Codec', CHUNK_CODEC);
    const orphan = [t + 1000, t + 2000].map((x) => makeSample(x, { 'veth-a': row() }));
    await js.publish(names.chunkSubject('ix'), encodeChunk(orphan, []), { headers: h, msgID: `ix:${t}` });
    w.append('ix', orphan[1]!); // the owner's lastT moves past the orphan, as after a backfill
    t += 2000;
    await write(3);
    const second = await replica(prefix);
    await second.load!('ix', t0, t);
    const rec = second.readRange('ix', t0, t);
    expect(rec.samples.map((s) => s.t)).toEqual(Array.from({ length: 11 }, (_, i) => t0 + (i + 1) * 1000));
    expect(second.loads).toEqual({ indexed: 0, scanned: 1 });
  }, 60_000);
  it('FLEET14: a chunk the index names but the stream no longer has (aged out) is a hole: the read is whole without it, never truncated at its own start', async () => {
    const prefix = 'aged';
    const names = fleetNames(prefix);
    const w = await replica(prefix);
    let t = Date.now() - 60_000;
    const t0 = t;
    await w.adopt!('ag');
    w.appendTopology('ag', t, makeTopology('ag'));
    const write = async (n: number) => {
      for (let i = 0; i < n; i++) {
        t += 1000;
        w.append('ag', makeSample(t, { 'veth-a': row({ rxPackets: i }) }) as Sample);
      }
      w.flush();
      await w.drain();
    };
    await write(3);
    const jsm = await jetstreamManager(conns.at(-1)!);
    const gone = await jsm.streams.getMessage(names.chunkStream, { last_by_subj: names.chunkSubject('ag') });
    await write(3);
    // Retention takes the first batch's last chunk; its hour summary still names it.
    expect(await jsm.streams.deleteMessage(names.chunkStream, gone!.seq)).toBe(true);
    const lost = Number(gone!.header.get('Hw-Samples'));
    const reader = await replica(prefix);
    const ts: number[] = [];
    for (let s: number | null = t0, pages = 0; s !== null; pages++) {
      expect(pages).toBeLessThan(5);
      await reader.load!('ag', s, t);
      const r = reader.readRange('ag', s, t);
      ts.push(...r.samples.map((x) => x.t));
      if (r.nextStart !== null && r.nextStart !== undefined) expect(r.nextStart).toBeGreaterThan(s);
      s = r.truncated ? (r.nextStart ?? null) : null;
    }
    expect(ts.length).toBe(6 - lost);
    expect(reader.loads.indexed).toBeGreaterThan(0);
  }, 60_000);
  it('FLEET14: an index entry whose end or sample count is not its message’s makes the load scan; an unparsable hour summary is replaced by its writer, not retried forever', async () => {
    const prefix = 'badindex';
    const names = fleetNames(prefix);
    const w = await replica(prefix);
    let t = Date.now() - 60_000;
    const t0 = t;
    const js = jetstream(conns.at(-1)!);
    const jsm = await jetstreamManager(conns.at(-1)!);
    const hour = Math.floor(t0 / 3600_000);
    // A broken writer left this hour unparsable before the owner writes it.
    await js.publish(names.summarySubject('bi', hour), 'not json{');
    await w.adopt!('bi');
    w.appendTopology('bi', t, makeTopology('bi'));
    for (let i = 0; i < 4; i++) {
      t += 1000;
      w.append('bi', makeSample(t, { 'veth-a': row({ rxPackets: i }) }) as Sample);
    }
    w.flush();
    await w.drain();
    const lastSummary = async () => {
      const m = await jsm.streams.getMessage(names.summaryStream, {
        last_by_subj: names.summarySubject('bi', hour),
      });
      try {
        return m!.json<{ start: number; end: number; samples: number; seq: number }[]>();
      } catch {
        return null;
      }
    };
    await vi.waitFor(async () => expect((await lastSummary())?.length).toBeGreaterThan(0), {
      timeout: 5_000,
    });
    const good = (await lastSummary())!;
    // Another replica's index now says a wrong sample count for the first chunk.
    const bad = good.map((e, i) => (i === 0 ? { ...e, samples: e.samples + 1 } : e));
    await js.publish(names.summarySubject('bi', hour), JSON.stringify(bad));
    const reader = await replica(prefix);
    await reader.load!('bi', t0, t);
    const rec = reader.readRange('bi', t0, t);
    expect(rec.samples.map((x) => x.t)).toEqual([1, 2, 3, 4].map((i) => t0 + i * 1000));
    expect(rec.truncated).toBe(false);
    // The count the timeline and diagnosis plan with: the messages' own, not the bad entry's.
    expect(reader.storedSamples('bi', t0, t)).toBe(4);
    // The index named a wrong chunk: the load fell back to a scan, and counts as one.
    expect(reader.loads).toEqual({ indexed: 0, scanned: 1 });
  }, 60_000);
  it('FLEET14: headers another writer left unparsable are not trusted: a chunk saying `Hw-Samples: abc` is still read, an unparsable topology is passed over and the next one taken', async () => {
    const prefix = 'hostile';
    const names = fleetNames(prefix);
    await replica(prefix);
    const js = jetstream(conns.at(-1)!);
    const t0 = Date.now() - 60_000;
    const samples = [1, 2, 3].map((i) => makeSample(t0 + i * 1000, { 'veth-a': row({ rxPackets: i }) }));
    const h = headers();
    h.set('Hw-Start', String(t0));
    h.set('Hw-End', String(t0 + 3000));
    h.set('Hw-Samples', 'abc');
    h.set('Hw-Codec', CHUNK_CODEC);
    await js.publish(names.chunkSubject('ho'), encodeChunk(samples, []), { headers: h, msgID: `ho:${t0}` });
    const topo = (t: number, data: Uint8Array) => {
      const th = headers();
      th.set('Hw-T', String(t));
      return js.publish(names.topoSubject('ho'), data, { headers: th });
    };
    await topo(t0 + 500, new TextEncoder().encode('not a compressed topology'));
    await topo(t0 + 1500, compressText(JSON.stringify(makeTopology('ho'))));
    const reader = await replica(prefix);
    for (let i = 0; i < 2; i++) {
      await reader.load!('ho', t0, t0 + 3000);
      const rec = reader.readRange('ho', t0, t0 + 3000);
      expect(rec.samples.map((s) => s.t)).toEqual([1, 2, 3].map((i) => t0 + i * 1000));
      expect(rec.truncated).toBe(false);
      expect(rec.topologies.map((v) => v.t)).toEqual([t0 + 1500]);
    }
  }, 60_000);
});
