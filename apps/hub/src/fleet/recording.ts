import type { Keyframe, Sample, Topology } from '@hopwatch/shared';
import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StoredMsg,
} from '@nats-io/jetstream';
import { headers, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';
import type {
  ChunkSummary,
  Recording,
  RecordingStore,
  StoreStats,
  TopologyVersion,
} from '../seams/recording.ts';
import type { LossSummary } from '../state/summary.ts';
import { compressText, decodeChunk, decompressText } from '../store/chunk.ts';
import type { Marks } from '../store/marks.ts';
import { type OpenChunk, PUMP_INTERVAL_MS, WritePump } from '../store/pump.ts';
import { assembleRange } from '../store/range.ts';
import { digestOf } from '../store/reads.ts';
import type { ChunkRow } from '../store/sql.ts';
import { atLeast, type FleetNames, hostOfToken } from './connect.ts';
import { openFleetMarks } from './marks.ts';
import { ensureStreams, whenJetStreamReady } from './streams.ts';

/**
 * A backfilled chunk is published after its samples' time, at most this much later (agents keep
 * about this much to backfill): a seek reads messages published up to end + this, then stops.
 */
const BACKFILL_HORIZON_MS = 15 * 60_000;
/** Chunks kept in the read cache, over all hosts (~40 KB each at 1000 interfaces). */
const CACHE_MAX_CHUNKS = 4000;
/** The latest topology is published again this often, so the age limit never takes the one in force. */
const TOPOLOGY_REFRESH_MS = 3600_000;
const PUBLISH_RETRY_MS = 500;
const HOUR_MS = 3600_000;
/** A read waits this long for a cluster that is electing a leader. */
const LOAD_WAIT_MS = 10_000;

interface CachedChunk {
  start: number;
  end: number;
  samples: number;
  codec: string;
  data: Uint8Array;
}

interface HostCache {
  chunks: Map<number, CachedChunk>;
  topologies: Map<number, Topology>;
  /** Stream sequence of the last topology read (reads go on from there). */
  topoSeq: number;
  summaries: Map<number, ChunkSummary[]>;
  firstStart: number | null;
}

/** An hour's summaries as another replica published them: a list of well-formed entries, or nothing. */
function summaryList(v: unknown): ChunkSummary[] | null {
  if (!Array.isArray(v)) return null;
  return v.filter(
    (x): x is ChunkSummary =>
      typeof x === 'object' &&
      x !== null &&
      Number.isFinite((x as ChunkSummary).start) &&
      Number.isFinite((x as ChunkSummary).end),
  );
}
export interface NatsRecordingOptions {
  retentionMs: number;
  retentionBytes: number;
  chunkMs: number;
  replicas: number;
  log: Logger;
  now?: () => number;
}

const num = (h: MsgHdrs | undefined, key: string): number | null => {
  const v = h?.get(key);
  return v === undefined || v === '' ? null : Number(v);
};

/**
 * The recording of a fleet: JetStream streams (streams.ts) instead of a file. The write path is
 * the embedded one's (pump.ts, chunkRow.ts): the same chunks, published instead of inserted,
 * each retried until acknowledged (a leader election takes seconds; the message id makes a retry
 * that did land a no-op). Reads are synchronous over a cache that load() fills with an ordered
 * consumer from the range's start time (servers ≥ 2.11 could get by time directly; Debian's
 * 2.9.10 cannot, so the consumer it is), and with direct gets of the hour summaries.
 */
export async function openNatsRecording(
  nc: NatsConnection,
  names: FleetNames,
  opts: NatsRecordingOptions,
): Promise<RecordingStore & { readonly seekByTime: boolean }> {
  const log = opts.log;
  const now = opts.now ?? Date.now;
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const js: JetStreamClient = jetstream(nc);
  await ensureStreams(jsm, names, opts);
  const fleetMarks = await openFleetMarks(nc, names.marksBucket, { replicas: opts.replicas, log, now });
  const version = nc.info?.version ?? '0.0.0';
  const seekByTime = atLeast(version, '2.11.0');
  log.info(
    `fleet: NATS ${version}, streams R${opts.replicas}; seeks ${seekByTime ? 'could get by time (≥ 2.11); using' : 'through'} an ordered consumer`,
  );

  const lastTs = new Map<string, number>();
  const knownHosts = new Set<string>();
  const latestTopology = new Map<
    string,
    { t: number; topology: Topology; digest: string; publishedAt: number }
  >();
  const hourSummaries = new Map<string, { hour: number; list: ChunkSummary[] }>();
  const cache = new Map<string, HostCache>();
  let cachedChunks = 0;
  /** Published, not yet acknowledged: readers see them, close() waits for them. */
  const unacked = new Set<Promise<void>>();
  const unackedRows = new Map<string, ChunkRow[]>();
  let chunksWritten = 0;
  let bytesWritten = 0;
  let closed = false;

  for (const stream of [names.chunkStream, names.topoStream]) {
    const info = await jsm.streams.info(stream, { subjects_filter: '>' });
    for (const subject of Object.keys(info.state.subjects ?? {}))
      knownHosts.add(hostOfToken(subject.split('.').at(-1) ?? ''));
  }

  const cacheOf = (host: string): HostCache => {
    let c = cache.get(host);
    if (!c) {
      c = { chunks: new Map(), topologies: new Map(), topoSeq: 0, summaries: new Map(), firstStart: null };
      cache.set(host, c);
    }
    return c;
  };

  /** Publishes until acknowledged (or closed); the same msgID makes a retry that had landed a no-op. */
  function publishReliably(subject: string, data: Uint8Array, h: MsgHdrs, msgID?: string): Promise<void> {
    const p = (async () => {
      for (let attempt = 0; !closed || attempt === 0; attempt++) {
        try {
          await js.publish(subject, data, { headers: h, ...(msgID ? { msgID } : {}), timeout: 5_000 });
          return;
        } catch (e) {
          if (attempt === 0 || attempt % 20 === 0)
            log.warn(`fleet: publishing to ${subject} failed (${(e as Error).message}); retrying`);
          await new Promise((r) => setTimeout(r, PUBLISH_RETRY_MS));
        }
      }
    })();
    unacked.add(p);
    void p.finally(() => unacked.delete(p));
    return p;
  }

  function publishChunk(row: ChunkRow): void {
    const h = headers();
    h.set('Hw-Start', String(row.start));
    h.set('Hw-End', String(row.end));
    h.set('Hw-Samples', String(row.samples));
    h.set('Hw-Codec', row.codec);
    const rows = unackedRows.get(row.host) ?? [];
    rows.push(row);
    unackedRows.set(row.host, rows);
    void publishReliably(names.chunkSubject(row.host), row.data, h, `${row.host}:${row.start}`).then(() => {
      const list = unackedRows.get(row.host);
      const i = list?.indexOf(row) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
      if (list?.length === 0) unackedRows.delete(row.host);
    });
    if (row.summary !== null) publishSummary(row);
  }

  /** The host's hour so far, one message per subject: the timeline reads hours, not chunks. */
  function publishSummary(row: ChunkRow): void {
    const hour = Math.floor(row.end / HOUR_MS);
    let cur = hourSummaries.get(row.host);
    if (!cur || cur.hour !== hour) {
      cur = { hour, list: [] };
      hourSummaries.set(row.host, cur);
    }
    const s: ChunkSummary = {
      start: row.start,
      end: row.end,
      samples: row.samples,
      ...(JSON.parse(row.summary!) as LossSummary),
    };
    cur.list.push(s);
    cacheOf(row.host).summaries.set(hour, cur.list);
    void publishReliably(
      names.summarySubject(row.host, hour),
      Buffer.from(JSON.stringify(cur.list)),
      headers(),
    );
  }

  const pump = new WritePump(
    { batch: (fn) => fn(), write: publishChunk },
    {
      chunkMs: opts.chunkMs,
      log,
      now,
      topologyOf: (host) => latestTopology.get(host)?.topology ?? null,
      onWritten(bytes) {
        chunksWritten += 1;
        bytesWritten += bytes;
      },
    },
  );
  const timer = setInterval(() => {
    pump.tick();
    // The topology in force must outlive the age limit of its stream: published again hourly.
    for (const [host, v] of latestTopology)
      if (now() - v.publishedAt > TOPOLOGY_REFRESH_MS) publishTopology(host, v.t, v.topology, v.digest);
  }, PUMP_INTERVAL_MS);
  timer.unref();

  function publishTopology(host: string, t: number, topology: Topology, digest: string): void {
    const h = headers();
    h.set('Hw-T', String(t));
    const at = now();
    latestTopology.set(host, { t, topology, digest, publishedAt: at });
    void publishReliably(
      names.topoSubject(host),
      compressText(JSON.stringify(topology)),
      h,
      `${host}:${t}:${Math.floor(at / TOPOLOGY_REFRESH_MS)}`,
    );
  }

  async function lastOf(stream: string, subject: string): Promise<StoredMsg | null> {
    return jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
  }

  function decodeTopologyMsg(m: StoredMsg): { t: number; topology: Topology } {
    return {
      t: num(m.header, 'Hw-T') ?? 0,
      topology: JSON.parse(decompressText(Buffer.from(m.data))) as Topology,
    };
  }

  /** Everything of one subject from a start time (or the whole subject), in order, then stop. */
  async function readSubject(
    stream: string,
    subject: string,
    from: { time: number } | { seq: number },
    until: (m: { time: number }) => boolean,
    take: (m: StoredMsg | { subject: string; seq: number; headers?: MsgHdrs; data: Uint8Array }) => void,
  ): Promise<void> {
    const consumer = await js.consumers.get(stream, {
      filter_subjects: subject,
      ...('time' in from
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(from.time).toISOString() }
        : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, from.seq) }),
    });
    let pending = (await consumer.info(true)).num_pending;
    while (pending > 0) {
      const batch = await consumer.fetch({ max_messages: Math.min(pending, 500), expires: 5_000 });
      let got = 0;
      for await (const m of batch) {
        got += 1;
        pending = m.info.pending;
        if (until({ time: Math.floor(Number(m.info.timestampNanos) / 1e6) })) {
          pending = 0;
          break;
        }
        take({ subject: m.subject, seq: m.seq, headers: m.headers, data: m.data } as never);
      }
      if (got === 0) break;
    }
    await consumer.delete().catch(() => {});
  }

  function evict(): void {
    if (cachedChunks <= CACHE_MAX_CHUNKS) return;
    for (const c of cache.values()) {
      for (const k of c.chunks.keys()) {
        c.chunks.delete(k);
        cachedChunks -= 1;
        if (cachedChunks <= CACHE_MAX_CHUNKS / 2) return;
      }
    }
  }

  const pendingRows = (host: string): CachedChunk[] =>
    (unackedRows.get(host) ?? []).map((r) => ({
      start: r.start,
      end: r.end,
      samples: r.samples,
      codec: r.codec,
      data: r.data,
    }));

  function topologyAtOf(host: string, t: number): TopologyVersion | null {
    const latest = latestTopology.get(host);
    if (latest && latest.t <= t) return { t: latest.t, topology: latest.topology };
    let best: TopologyVersion | null = null;
    for (const [vt, topology] of cacheOf(host).topologies)
      if (vt <= t && (!best || vt > best.t)) best = { t: vt, topology };
    return best;
  }

  const store: RecordingStore & { readonly seekByTime: boolean } = {
    path: `nats:${names.chunkStream}`,
    seekByTime,

    append(host, sample, json = JSON.stringify(sample)) {
      if (closed) return false;
      const last = lastTs.get(host);
      if (last !== undefined && sample.t <= last) return false;
      lastTs.set(host, sample.t);
      knownHosts.add(host);
      pump.add(host, sample, json);
      return true;
    },

    appendKeyframe(host, keyframe: Keyframe) {
      pump.addKeyframe(host, keyframe);
    },

    appendTopology(host, t, topology) {
      const digest = digestOf(JSON.stringify(topology));
      const prev = latestTopology.get(host);
      if (prev && prev.digest === digest) return false;
      knownHosts.add(host);
      cacheOf(host).topologies.set(t, topology);
      if (!prev || t >= prev.t) publishTopology(host, t, topology, digest);
      return true;
    },

    async adopt(host) {
      // Where the host's recording ends (the welcome's lastT: the agent backfills after it),
      // its latest topology (change detection) and its hour of summaries so far.
      const [chunk, topo] = await Promise.all([
        lastOf(names.chunkStream, names.chunkSubject(host)),
        lastOf(names.topoStream, names.topoSubject(host)),
      ]);
      const end = num(chunk?.header, 'Hw-End');
      if (end !== null) lastTs.set(host, Math.max(lastTs.get(host) ?? end, end));
      if (topo && !latestTopology.has(host)) {
        const v = decodeTopologyMsg(topo);
        latestTopology.set(host, {
          ...v,
          digest: digestOf(JSON.stringify(v.topology)),
          publishedAt: topo.time.getTime(),
        });
      }
      const hour = Math.floor(now() / HOUR_MS);
      const sums = await lastOf(names.summaryStream, names.summarySubject(host, hour));
      const list = sums ? summaryList(sums.json<unknown>()) : null;
      if (list && hourSummaries.get(host)?.hour !== hour) hourSummaries.set(host, { hour, list });
      knownHosts.add(host);
    },

    async load(host, start, end) {
      const c = cacheOf(host);
      // Four independent reads, at once: a seek costs the slowest, not their sum.
      const topologies = async () => {
        // Versions: the whole subject once, then only what is new (only changes are there).
        const last = await lastOf(names.topoStream, names.topoSubject(host));
        if (!last || last.seq <= c.topoSeq) return;
        await readSubject(
          names.topoStream,
          names.topoSubject(host),
          { seq: c.topoSeq + 1 },
          () => false,
          (m) => {
            const v = decodeTopologyMsg(m as StoredMsg);
            c.topologies.set(v.t, v.topology);
            c.topoSeq = Math.max(c.topoSeq, (m as { seq: number }).seq);
          },
        );
      };
      // Chunks: a chunk holding samples ≥ start was published at or after start.
      const chunks = () =>
        readSubject(
          names.chunkStream,
          names.chunkSubject(host),
          { time: Math.max(0, start) },
          (m) => m.time > end + opts.chunkMs + BACKFILL_HORIZON_MS,
          (m) => {
            const h = (m as { headers?: MsgHdrs }).headers;
            const s = num(h, 'Hw-Start');
            if (s === null || c.chunks.has(s)) return;
            c.chunks.set(s, {
              start: s,
              end: num(h, 'Hw-End') ?? s,
              samples: num(h, 'Hw-Samples') ?? 0,
              codec: h?.get('Hw-Codec') ?? '',
              data: m.data,
            });
            cachedChunks += 1;
          },
        );
      // Hour summaries by direct get, one per hour of the range (a day is 24 gets).
      const summaries = async () => {
        const hours: number[] = [];
        for (
          let hr = Math.floor(start / HOUR_MS);
          hr <= Math.floor(end / HOUR_MS) && hours.length < 24 * 8;
          hr++
        )
          hours.push(hr);
        await Promise.all(
          hours.map(async (hr) => {
            const m = await lastOf(names.summaryStream, names.summarySubject(host, hr));
            const list = m ? summaryList(m.json<unknown>()) : null;
            if (list) c.summaries.set(hr, list);
          }),
        );
      };
      // Where the host's recording starts and ends.
      const extent = async () => {
        const [first, last] = await Promise.all([
          jsm.streams
            .getMessage(names.chunkStream, { seq: 0, next_by_subj: names.chunkSubject(host) } as never)
            .catch(() => null),
          lastOf(names.chunkStream, names.chunkSubject(host)),
        ]);
        c.firstStart = num(first?.header, 'Hw-Start');
        const lastEnd = num(last?.header, 'Hw-End');
        if (lastEnd !== null) lastTs.set(host, Math.max(lastTs.get(host) ?? lastEnd, lastEnd));
      };
      const parts = { topologies, chunks, summaries, extent };
      // A read that meets a leader election waits it out (seconds), then says what it missed.
      await Promise.all(
        Object.entries(parts).map(([what, read]) =>
          whenJetStreamReady(`reading ${what} of ${host}`, read, LOAD_WAIT_MS).catch((e: Error) =>
            log.warn(`fleet: ${e.message}`),
          ),
        ),
      );
      evict();
    },

    readRange(host, start, end, ropts = {}): Recording {
      const maxSamples = ropts.maxSamples ?? Number.POSITIVE_INFINITY;
      const maxTopologies = ropts.maxTopologies ?? Number.POSITIVE_INFINITY;
      const samples: Sample[] = [];
      const keyframes: Keyframe[] = [];
      const seen = new Set<number>();
      const take = (ss: readonly Sample[], ks: readonly Keyframe[]) => {
        for (const s of ss)
          if (s.t >= start && s.t <= end && !seen.has(s.t)) {
            seen.add(s.t);
            samples.push(s);
          }
        for (const k of ks) if (k.t >= start && k.t <= end) keyframes.push(k);
      };
      const chunks = [...cacheOf(host).chunks.values(), ...pendingRows(host)]
        .filter((ch) => ch.end >= start && ch.start <= end)
        .sort((a, b) => a.start - b.start);
      for (const ch of chunks) {
        try {
          const d = decodeChunk(ch.codec, Buffer.from(ch.data));
          take(d.samples, d.keyframes);
        } catch (e) {
          log.error(`fleet: skipping unreadable chunk ${host}@${ch.start}: ${(e as Error).message}`);
        }
      }
      for (const o of pump.pendingFor(host) as OpenChunk[])
        take(
          o.texts.map((t) => JSON.parse(t) as Sample),
          o.keyframes,
        );
      const versions = [...cacheOf(host).topologies.entries()].sort((a, b) => a[0] - b[0]);
      return assembleRange({
        host,
        start,
        end,
        maxSamples,
        maxTopologies,
        samples,
        keyframes,
        atStart: topologyAtOf(host, start),
        inside: (until) =>
          versions
            .filter(([t]) => t > start && t <= until)
            .map(([t, topology]) => ({ t, topology: () => topology })),
        first: () => (versions[0] ? { t: versions[0][0], topology: versions[0][1] } : null),
      });
    },

    topologyAt: topologyAtOf,

    summaries(host, start, end) {
      const out: ChunkSummary[] = [];
      for (const list of cacheOf(host).summaries.values())
        for (const s of list) if (s.end >= start && s.start <= end) out.push(s);
      return out.sort((a, b) => a.start - b.start);
    },

    storedSamples(host, start, end) {
      let n = 0;
      for (const ch of cacheOf(host).chunks.values()) if (ch.end >= start && ch.start <= end) n += ch.samples;
      return n;
    },

    firstStart(host) {
      return cache.get(host)?.firstStart ?? null;
    },

    hosts() {
      return [...knownHosts].sort();
    },

    lastT(host) {
      return lastTs.get(host) ?? null;
    },

    marks(): Marks {
      return fleetMarks;
    },

    flush() {
      pump.flush();
    },

    enforceRetention() {
      // The streams' own limits (max_age, max_bytes) do this on the servers.
      return { deletedChunks: 0, deletedBytes: 0 };
    },

    stats(): StoreStats {
      return {
        path: `nats:${names.chunkStream}`,
        bytes: bytesWritten,
        chunks: chunksWritten,
        chunksWritten,
        samplesPending: pump.samplesPending(),
        retentionDeletedChunks: 0,
        retentionDeletedMarks: 0,
        corruptChunks: 0,
      };
    },

    close() {
      clearInterval(timer);
      pump.flush();
      closed = true;
    },
  };

  /** Waits for every publish to be acknowledged (close() publishes the open chunks). */
  (store as { drain?: () => Promise<void> }).drain = async () => {
    while (unacked.size > 0) await Promise.allSettled([...unacked]);
  };
  return store;
}
