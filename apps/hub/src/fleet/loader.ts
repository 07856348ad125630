import type { Topology } from '@hopwatch/shared';
import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type StoredMsg,
} from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';
import { decompressText } from '../store/chunk.ts';
import type { FleetNames } from './connect.ts';
import { type ChunkEntry, ReadCache } from './readCache.ts';
import { whenJetStreamReady } from './streams.ts';
import { HOUR_MS, summaryList } from './summaries.ts';

/**
 * A backfilled chunk is published after its samples' time, at most this much later (agents keep
 * about this much to backfill): a scan reads messages published up to end + this, then stops.
 */
export const BACKFILL_HORIZON_MS = 15 * 60_000;
/**
 * Samples one load brings within reach: the largest cap any reader asks for (a recording page,
 * a diagnosis window and the timeline's raw path: 3600; an export page: 600). A longer range is
 * read from its start up to the cap and answered truncated, as the SQLite store answers it.
 */
export const LOAD_MAX_SAMPLES = 3600;
/** A read waits this long for a cluster that is electing a leader. */
const LOAD_WAIT_MS = 10_000;
/** Chunk data fetched at once by direct get (each ~40 KB at 1000 interfaces). */
const GET_CONCURRENCY = 16;
const SCAN_BATCH = 1000;

export const num = (h: MsgHdrs | undefined, key: string): number | null => {
  const v = h?.get(key);
  return v === undefined || v === '' ? null : Number(v);
};

export function decodeTopologyMsg(m: {
  header?: MsgHdrs | undefined;
  headers?: MsgHdrs | undefined;
  data: Uint8Array;
}): {
  t: number;
  topology: Topology;
} {
  return {
    t: num(m.header ?? m.headers, 'Hw-T') ?? 0,
    topology: JSON.parse(decompressText(Buffer.from(m.data))) as Topology,
  };
}

/**
 * load(): a range of one host from the streams into the read cache, its parts at once (a seek
 * costs the slowest part, not their sum). Chunks in two steps: the headers of the host's messages
 * from the range's start time (an ordered consumer with headers only: ~150 bytes a chunk instead
 * of ~40 KB; Debian's 2.9.10 has no get by time), which say every chunk's start, end, sample
 * count and stream sequence; then the data of only the chunks the range needs, up to
 * LOAD_MAX_SAMPLES, by direct get (any stream replica answers). The old read took every chunk's
 * data up to end + 15 min (the backfill horizon), ninety 40 KB messages for a 30 s seek.
 */
export class RangeLoader {
  constructor(
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly names: FleetNames,
    private readonly cache: ReadCache,
    private readonly opts: { chunkMs: number; log: Logger; onLastEnd: (host: string, end: number) => void },
  ) {}

  async load(host: string, start: number, end: number): Promise<void> {
    const parts = {
      chunks: () => this.chunks(host, start, end),
      topologies: () => this.topologies(host),
      summaries: () => this.summaries(host, start, end),
      extent: () => this.extent(host),
    };
    // A read that meets a leader election waits it out (seconds), then says what it missed.
    await Promise.all(
      Object.entries(parts).map(([what, read]) =>
        whenJetStreamReady(`reading ${what} of ${host}`, read, LOAD_WAIT_MS).catch((e: Error) =>
          this.opts.log.warn(`fleet: ${e.message}`),
        ),
      ),
    );
  }

  /** The chunks of [start, end]: their headers, then the data the range needs up to the cap. */
  private async chunks(host: string, start: number, end: number): Promise<void> {
    const st = this.cache.host(host);
    const { entries, complete } = await this.scan(host, start, end);
    // In start order up to the cap: the chunk that passes it is the last one taken, so a capped
    // reader (≤ LOAD_MAX_SAMPLES) finds one sample more than it may answer and says truncated.
    const take: ChunkEntry[] = [];
    let n = 0;
    let until = end;
    for (const e of entries) {
      if (n > LOAD_MAX_SAMPLES) {
        until = take.at(-1)!.end;
        break;
      }
      take.push(e);
      n += e.samples;
    }
    if (!complete && until === end) until = take.at(-1)?.end ?? start - 1;
    const unpin = this.cache.pin(
      host,
      take.map((e) => e.start),
    );
    try {
      const missing = take.filter((e) => !this.cache.hasChunk(host, e.start));
      for (let i = 0; i < missing.length; i += GET_CONCURRENCY)
        await Promise.all(missing.slice(i, i + GET_CONCURRENCY).map((e) => this.fetchChunk(host, e)));
      st.window = { start, end, until: Math.min(until, end), entries };
    } finally {
      unpin();
      this.cache.evict(new Set(take.map((e) => ReadCache.key(host, e.start))));
    }
  }

  private async fetchChunk(host: string, e: ChunkEntry): Promise<void> {
    // A stream replica may not have the newest message yet: then the leader's copy.
    const m =
      (await this.jsm.direct.getMessage(this.names.chunkStream, { seq: e.seq }).catch(() => null)) ??
      (await this.jsm.streams.getMessage(this.names.chunkStream, { seq: e.seq }));
    if (!m) return; // aged out since the scan: the window's reader says where it stops
    this.cache.putChunk(host, {
      start: e.start,
      end: e.end,
      samples: e.samples,
      codec: e.codec,
      data: m.data,
    });
  }

  /**
   * Headers of the host's chunks touching [start, end], by start. A chunk holding samples ≥ start
   * was published at or after start; one published more than chunkMs + BACKFILL_HORIZON_MS after
   * end holds none ≤ end. The scan also stops once the chunks it can no longer miss (published
   * long enough before the last message read) hold more than LOAD_MAX_SAMPLES: a range of a day
   * costs the headers of its first hour and a quarter, not of its day. `complete`: read to the end.
   */
  private async scan(
    host: string,
    start: number,
    end: number,
  ): Promise<{ entries: ChunkEntry[]; complete: boolean }> {
    const slackMs = this.opts.chunkMs + BACKFILL_HORIZON_MS;
    const found = new Map<number, ChunkEntry>();
    const consumer = await this.js.consumers.get(this.names.chunkStream, {
      filter_subjects: this.names.chunkSubject(host),
      deliver_policy: DeliverPolicy.StartTime,
      opt_start_time: new Date(Math.max(0, start)).toISOString(),
      headers_only: true,
    });
    let complete = true;
    try {
      let pending = (await consumer.info(true)).num_pending;
      let safeSamples = 0;
      outer: while (pending > 0) {
        const batch = await consumer.fetch({ max_messages: Math.min(pending, SCAN_BATCH), expires: 5_000 });
        let got = 0;
        for await (const m of batch) {
          got += 1;
          pending = m.info.pending;
          const published = Math.floor(Number(m.info.timestampNanos) / 1e6);
          if (published > end + slackMs) break outer;
          const h = m.headers;
          const s = num(h, 'Hw-Start');
          if (s !== null && !found.has(s)) {
            const e: ChunkEntry = {
              start: s,
              end: num(h, 'Hw-End') ?? s,
              samples: num(h, 'Hw-Samples') ?? 0,
              codec: h?.get('Hw-Codec') ?? '',
              seq: m.seq,
            };
            if (e.end >= start && e.start <= end) found.set(s, e);
          }
          // Every chunk ending before published − slack has been read: past the cap there, stop.
          if (got % 50 === 0 || pending === 0) {
            safeSamples = 0;
            for (const e of found.values()) if (e.end <= published - slackMs) safeSamples += e.samples;
            if (safeSamples > LOAD_MAX_SAMPLES && pending > 0) {
              complete = false;
              break outer;
            }
          }
        }
        if (got === 0) break;
      }
    } finally {
      void consumer.delete().catch(() => {});
    }
    return { entries: [...found.values()].sort((a, b) => a.start - b.start), complete };
  }

  /** Versions: the whole subject once, then only what is new (only changes are there). */
  private async topologies(host: string): Promise<void> {
    const st = this.cache.host(host);
    const last = await this.jsm.direct
      .getMessage(this.names.topoStream, { last_by_subj: this.names.topoSubject(host) })
      .catch(() => null);
    if (!last || last.seq <= st.topoSeq) return;
    const consumer = await this.js.consumers.get(this.names.topoStream, {
      filter_subjects: this.names.topoSubject(host),
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: st.topoSeq + 1,
    });
    try {
      let pending = (await consumer.info(true)).num_pending;
      while (pending > 0) {
        const batch = await consumer.fetch({ max_messages: Math.min(pending, 100), expires: 5_000 });
        let got = 0;
        for await (const m of batch) {
          got += 1;
          pending = m.info.pending;
          const v = decodeTopologyMsg(m);
          st.topologies.set(v.t, v.topology);
          st.topoSeq = Math.max(st.topoSeq, m.seq);
        }
        if (got === 0) break;
      }
    } finally {
      void consumer.delete().catch(() => {});
    }
  }

  /** Hour summaries by direct get, one per hour of the range (a day is 24 gets). */
  private async summaries(host: string, start: number, end: number): Promise<void> {
    const st = this.cache.host(host);
    const hours: number[] = [];
    for (let hr = Math.floor(start / HOUR_MS); hr <= Math.floor(end / HOUR_MS) && hours.length < 24 * 8; hr++)
      hours.push(hr);
    await Promise.all(
      hours.map(async (hr) => {
        const m = await this.jsm.direct
          .getMessage(this.names.summaryStream, { last_by_subj: this.names.summarySubject(host, hr) })
          .catch(() => null);
        const list = m ? summaryList(m.json<unknown>()) : null;
        if (list) st.summaries.set(hr, list);
      }),
    );
  }

  /** Where the host's recording starts and ends. */
  private async extent(host: string): Promise<void> {
    const subject = this.names.chunkSubject(host);
    const [first, last] = await Promise.all([
      this.jsm.direct
        .getMessage(this.names.chunkStream, { seq: 0, next_by_subj: subject } as never)
        .catch(() => null) as Promise<StoredMsg | null>,
      this.jsm.direct.getMessage(this.names.chunkStream, { last_by_subj: subject }).catch(() => null),
    ]);
    this.cache.host(host).firstStart = num(first?.header, 'Hw-Start');
    const lastEnd = num(last?.header, 'Hw-End');
    if (lastEnd !== null) this.opts.onLastEnd(host, lastEnd);
  }
}
