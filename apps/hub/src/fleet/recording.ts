import type { Keyframe, Topology } from '@hopwatch/shared';
import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  type StoredMsg,
} from '@nats-io/jetstream';
import { headers, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';
import type { RecordingStore, StoreStats } from '../seams/recording.ts';
import type { LossSummary } from '../state/summary.ts';
import { compressText } from '../store/chunk.ts';
import type { Marks } from '../store/marks.ts';
import { PUMP_INTERVAL_MS, WritePump } from '../store/pump.ts';
import { digestOf } from '../store/reads.ts';
import type { ChunkRow } from '../store/sql.ts';
import { atLeast, type FleetNames, hostOfToken } from './connect.ts';
import { decodeTopologyMsg, num, RangeLoader } from './loader.ts';
import { openFleetMarks } from './marks.ts';
import { ReadCache } from './readCache.ts';
import { FleetReads } from './reads.ts';
import { ensureStreams } from './streams.ts';
import { SummaryWriter } from './summaries.ts';

/** The latest topology is published again this often, so the age limit never takes the one in force. */
const TOPOLOGY_REFRESH_MS = 3600_000;
const PUBLISH_RETRY_MS = 500;

export interface NatsRecordingOptions {
  retentionMs: number;
  retentionBytes: number;
  chunkMs: number;
  replicas: number;
  log: Logger;
  now?: () => number;
}

export type NatsRecording = RecordingStore & {
  readonly seekByTime: boolean;
  /**
   * This replica no longer holds the host's agent: once its last chunk is written, nothing of the
   * host is kept or published again from here (its topology refresh, its hour summaries).
   */
  disown(host: string): void;
  /** Hosts whose owner-side state this replica keeps (tests). */
  ownedState(host: string): { topology: boolean; summaryHours: number[] };
  /** Waits for every publish to be acknowledged (close() publishes the open chunks). */
  drain(): Promise<void>;
  /** Loads whose chunks the hour summaries' index found, and those that needed a scan. */
  readonly loads: { readonly indexed: number; readonly scanned: number };
};

/**
 * The recording of a fleet: JetStream streams (streams.ts) instead of a file. The write path is
 * the embedded one's (pump.ts, chunkRow.ts): the same chunks, published instead of inserted,
 * each retried until acknowledged (a leader election takes seconds; the message id makes a retry
 * that did land a no-op), and the hour summaries merged with whatever another replica wrote
 * (summaries.ts). Reads are synchronous (reads.ts) over a cache (readCache.ts) that load()
 * fills (loader.ts).
 */
export async function openNatsRecording(
  nc: NatsConnection,
  names: FleetNames,
  opts: NatsRecordingOptions,
): Promise<NatsRecording> {
  const log = opts.log;
  const now = opts.now ?? Date.now;
  const jsm: JetStreamManager = await jetstreamManager(nc);
  const js: JetStreamClient = jetstream(nc);
  await ensureStreams(jsm, names, opts);
  const fleetMarks = await openFleetMarks(nc, names.marksBucket, { replicas: opts.replicas, log, now });
  const version = nc.info?.version ?? '0.0.0';
  const seekByTime = atLeast(version, '2.11.0');
  log.info(
    `fleet: NATS ${version}, streams R${opts.replicas}; seeks ${seekByTime ? 'could get by time (≥ 2.11); using' : 'through'} a headers-only ordered consumer and direct gets`,
  );

  const lastTs = new Map<string, number>();
  const knownHosts = new Set<string>();
  /** Owner side: the topology in force of each host recorded here (change detection, summaries). */
  const latestTopology = new Map<
    string,
    { t: number; topology: Topology; digest: string; publishedAt: number }
  >();
  /** Hosts disowned, kept until their last chunk is written. */
  const leaving = new Set<string>();
  const cache = new ReadCache();
  /** Published, not yet acknowledged: readers see them, close() waits for them. */
  const unacked = new Set<Promise<void>>();
  const unackedRows = new Map<string, ChunkRow[]>();
  let chunksWritten = 0;
  let bytesWritten = 0;
  let closed = false;

  const track = (p: Promise<void>) => {
    unacked.add(p);
    void p.finally(() => unacked.delete(p));
  };

  for (const stream of [names.chunkStream, names.topoStream]) {
    const info = await jsm.streams.info(stream, { subjects_filter: '>' });
    for (const subject of Object.keys(info.state.subjects ?? {}))
      knownHosts.add(hostOfToken(subject.split('.').at(-1) ?? ''));
  }

  const summaryWriter = new SummaryWriter(jsm, js, names, {
    log,
    onMerged: (host, hour, list) => cache.setSummaries(host, hour, list),
    track,
    closed: () => closed,
  });

  /** Publishes until acknowledged (or closed); the same msgID makes a retry that had landed a no-op. */
  function publishReliably(
    subject: string,
    data: Uint8Array,
    h: MsgHdrs,
    msgID?: string,
  ): Promise<number | null> {
    const p = (async () => {
      for (let attempt = 0; !closed || attempt === 0; attempt++) {
        try {
          // A duplicate (a retry that had landed) is acknowledged with the first copy's sequence.
          const ack = await js.publish(subject, data, {
            headers: h,
            ...(msgID ? { msgID } : {}),
            timeout: 5_000,
          });
          return ack.seq;
        } catch (e) {
          if (attempt === 0 || attempt % 20 === 0)
            log.warn(`fleet: publishing to ${subject} failed (${(e as Error).message}); retrying`);
          await new Promise((r) => setTimeout(r, PUBLISH_RETRY_MS));
        }
      }
      return null;
    })();
    track(p.then(() => {}));
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
    const summary = row.summary === null ? null : (JSON.parse(row.summary) as LossSummary);
    const acked = publishReliably(names.chunkSubject(row.host), row.data, h, `${row.host}:${row.start}`);
    // The summary goes out once the chunk is stored, with its sequence: the hour's index.
    const indexed = acked.then((seq) => {
      const list = unackedRows.get(row.host);
      const i = list?.indexOf(row) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
      if (list?.length === 0) unackedRows.delete(row.host);
      if (summary !== null)
        summaryWriter.add(row.host, {
          start: row.start,
          end: row.end,
          samples: row.samples,
          ...summary,
          ...(seq !== null ? { seq } : {}),
        });
    });
    track(indexed);
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
    // A host that moved away: forgotten once its last chunk is stored (its summary then goes).
    for (const host of leaving)
      if (pump.pendingFor(host).length === 0 && !unackedRows.has(host)) {
        leaving.delete(host);
        latestTopology.delete(host);
        summaryWriter.forget(host);
      }
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

  /** From the stream leader: an owner must see the last write, not a lagging replica's copy. */
  async function lastOf(stream: string, subject: string): Promise<StoredMsg | null> {
    return jsm.streams.getMessage(stream, { last_by_subj: subject }).catch(() => null);
  }

  const loader = new RangeLoader(jsm, js, names, cache, {
    chunkMs: opts.chunkMs,
    log,
    onLastEnd: (host, end) => lastTs.set(host, Math.max(lastTs.get(host) ?? end, end)),
  });
  const reads = new FleetReads(
    cache,
    {
      // The rows themselves (a ChunkRow is a CachedChunk): no copy per read.
      unacked: (host) => unackedRows.get(host) ?? [],
      open: (host) => pump.pendingFor(host),
      latestTopology: (host) => {
        const v = latestTopology.get(host);
        return v ? { t: v.t, topology: v.topology } : null;
      },
    },
    log,
  );

  const store: NatsRecording = {
    path: `nats:${names.chunkStream}`,
    seekByTime,
    loads: loader.counts,

    append(host, sample, rows, rest) {
      if (closed) return false;
      const last = lastTs.get(host);
      if (last !== undefined && sample.t <= last) return false;
      lastTs.set(host, sample.t);
      knownHosts.add(host);
      pump.add(host, sample, rows, rest);
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
      cache.host(host).topologies.set(t, topology);
      if (!prev || t >= prev.t) publishTopology(host, t, topology, digest);
      return true;
    },

    async adopt(host) {
      // Where the host's recording ends (the welcome's lastT: the agent backfills after it) and
      // its latest topology (change detection), as the stream has them now: another replica may
      // have recorded the host since this one last held it.
      leaving.delete(host);
      const [chunk, topo] = await Promise.all([
        lastOf(names.chunkStream, names.chunkSubject(host)),
        lastOf(names.topoStream, names.topoSubject(host)),
      ]);
      const end = num(chunk?.header, 'Hw-End');
      if (end !== null) lastTs.set(host, Math.max(lastTs.get(host) ?? end, end));
      if (topo) {
        const v = decodeTopologyMsg(topo);
        const cur = latestTopology.get(host);
        if (!cur || v.t > cur.t)
          latestTopology.set(host, {
            ...v,
            digest: digestOf(JSON.stringify(v.topology)),
            publishedAt: topo.time.getTime(),
          });
      }
      knownHosts.add(host);
    },

    disown(host) {
      leaving.add(host);
    },

    ownedState(host) {
      return { topology: latestTopology.has(host), summaryHours: summaryWriter.heldHours(host) };
    },

    load: (host, start, end) => loader.load(host, start, end),
    readRange: (host, start, end, ropts) => reads.readRange(host, start, end, ropts),
    topologyAt: (host, t) => reads.topologyAt(host, t),
    summaries: (host, start, end) => reads.summaries(host, start, end),
    storedSamples: (host, start, end) => reads.storedSamples(host, start, end),

    firstStart(host) {
      return cache.peekHost(host)?.firstStart ?? null;
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

    onChunkJudged(listener) {
      pump.onJudged = listener;
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

    async drain() {
      while (unacked.size > 0) await Promise.allSettled([...unacked]);
    },
  };
  return store;
}
