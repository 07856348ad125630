import type { Topology } from '@hopwatch/shared';
import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type OrderedConsumerOptions,
  type StoredMsg,
} from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';
import { CHUNK_CODEC, decompressText } from '../store/chunk.ts';
import type { FleetNames } from './connect.ts';
import { type ChunkEntry, ReadCache } from './readCache.ts';
import { isTransient, JetStreamRace, whenJetStreamReady } from './streams.ts';
import { HOUR_MS, type IndexedSummary, summaryMessageList, wellFormedEntry } from './summaries.ts';

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
const TOPOLOGY_BATCH = 100;
/** Hours of summaries one load reads (a week: a timeline of more answers from what it has). */
const SUMMARY_HOURS_MAX = 24 * 8;

/** A number header; null when absent or not a finite number (another writer's garbage). */
export const num = (h: MsgHdrs | undefined, key: string): number | null => {
  const v = h?.get(key);
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
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
  /** Loads whose chunks the index found, and those that needed a scan (tests, the bench). */
  readonly counts = { indexed: 0, scanned: 0 };

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly names: FleetNames,
    private readonly cache: ReadCache,
    private readonly opts: {
      chunkMs: number;
      log: Logger;
      onLastEnd: (host: string, end: number) => void;
      /** How long a load waits out an election or a race before it answers 503 (tests: less). */
      waitMs?: number;
    },
  ) {}

  private get waitMs(): number {
    return this.opts.waitMs ?? LOAD_WAIT_MS;
  }

  async load(host: string, start: number, end: number): Promise<void> {
    // A read that meets a leader election waits it out (seconds), then says what it missed.
    const part = <T>(what: string, read: () => Promise<T>): Promise<T | null> =>
      whenJetStreamReady(`reading ${what} of ${host}`, read, this.waitMs).catch((e: Error) => {
        this.opts.log.warn(`fleet: ${e.message}`);
        return null;
      });
    // The host's state stays through the whole load (another host's load may evict meanwhile);
    // its chunks then stay pinned by the window's lease until the read that follows.
    const unpinHost = this.cache.pin(host, []);
    try {
      await this.loadParts(host, start, end, part);
    } finally {
      unpinHost();
    }
  }

  private async loadParts(
    host: string,
    start: number,
    end: number,
    part: <T>(what: string, read: () => Promise<T>) => Promise<T | null>,
  ): Promise<void> {
    await Promise.all([
      part('topologies', () => this.topologies(host, start)),
      (async () => {
        // The hour summaries are also the chunks' index; the extent says where the host ends.
        const [hours, ext] = await Promise.all([
          part('summaries', () => this.summaries(host, start, end)),
          part('extent', () => this.extent(host)),
        ]);
        // Without every hour or the extent the index cannot vouch for the range: a scan does.
        // A load that got no chunks rejects: its reader would answer a silent part otherwise.
        await whenJetStreamReady(
          `reading chunks of ${host}`,
          () => this.chunks(host, start, end, hours === true && ext ? ext.last : undefined),
          this.waitMs,
        );
      })(),
    ]);
  }

  /**
   * The chunks of [start, end]: where they are (from the hour summaries' index, or a scan of
   * their headers), then the data the range needs up to the cap.
   */
  private async chunks(
    host: string,
    start: number,
    end: number,
    last: LastChunk | null | undefined,
  ): Promise<void> {
    const st = this.cache.host(host);
    const indexed = last === undefined ? null : fromIndex(st.summaries, start, end, st.firstStart, last);
    // Counted by outcome: an index that named wrong chunks ends in a scan, and counts as one.
    if (indexed && (await this.fill(host, start, end, indexed))) {
      this.counts.indexed += 1;
      return;
    }
    this.counts.scanned += 1;
    const scanned = await this.scan(host, start, end);
    // Pending messages that never came, none read: a window vouching for nothing would never
    // match its range, and the read would answer untruncated from whatever the cache holds.
    if (!scanned.complete && scanned.entries.length === 0)
      throw new JetStreamRace(
        `fleet: the scan of ${host}'s chunks from ${start} read none of its pending messages`,
      );
    if (!(await this.fill(host, start, end, scanned)))
      throw new JetStreamRace(`fleet: the chunk stream of ${host} changed under the read of ${start}…${end}`);
  }

  /** The data of the chunks the range needs, up to the cap; false when the index named wrong ones. */
  private async fill(
    host: string,
    start: number,
    end: number,
    { entries, complete }: { entries: ChunkEntry[]; complete: boolean },
  ): Promise<boolean> {
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
    let leased = false;
    try {
      const missing = take.filter((e) => !this.cache.hasChunk(host, e.start));
      // Chunks the stream no longer has (aged out since the index was written): known holes,
      // as the SQLite store answers a range whose chunks retention removed.
      const gone = new Set<number>();
      for (let i = 0; i < missing.length; i += GET_CONCURRENCY) {
        const part = missing.slice(i, i + GET_CONCURRENCY);
        const got = await Promise.all(part.map((e) => this.fetchChunk(host, e)));
        if (got.includes('wrong')) return false;
        for (const [j, g] of got.entries()) if (g === 'gone') gone.add(part[j]!.start);
      }
      this.cache.addWindow(host, {
        start,
        end,
        until: Math.min(until, end),
        entries: gone.size ? entries.filter((e) => !gone.has(e.start)) : entries,
        release: unpin,
      });
      leased = true;
      return true;
    } finally {
      if (!leased) unpin();
      this.cache.evict(new Set(take.map((e) => ReadCache.key(host, e.start))));
    }
  }

  /**
   * 'wrong': the message at that sequence is not the chunk the entry names (or the server refused
   * the sequence): the caller scans instead. 'gone': no message there any more (aged out).
   */
  private async fetchChunk(host: string, e: ChunkEntry): Promise<'ok' | 'gone' | 'wrong'> {
    // A stream replica may not have the newest message yet: then the leader's copy.
    let m: StoredMsg | null;
    try {
      m =
        (await this.jsm.direct.getMessage(this.names.chunkStream, { seq: e.seq }).catch(() => null)) ??
        (await this.jsm.streams.getMessage(this.names.chunkStream, { seq: e.seq }));
    } catch (err) {
      // A leader election is waited out by the load; anything else (a bad sequence) is a wrong index.
      if (isTransient(err)) throw err;
      return 'wrong';
    }
    if (!m) return 'gone';
    // An index from before the chunk stream was made again names other messages: not this chunk.
    if (m.subject !== this.names.chunkSubject(host) || num(m.header, 'Hw-Start') !== e.start) return 'wrong';
    // The message's own end and count: an entry (another replica's summary) saying otherwise is wrong.
    const end = num(m.header, 'Hw-End');
    const samples = num(m.header, 'Hw-Samples');
    if ((end !== null && end !== e.end) || (samples !== null && samples !== e.samples)) return 'wrong';
    // The codec from the message itself: an index entry (a summary) does not say it.
    const codec = m.header?.get('Hw-Codec') || e.codec;
    this.cache.putChunk(host, { start: e.start, end: e.end, samples: e.samples, codec, data: m.data });
    return 'ok';
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
    let read = 0;
    let complete = true;
    const how = await this.drain(
      this.names.chunkStream,
      {
        filter_subjects: this.names.chunkSubject(host),
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: new Date(Math.max(0, start)).toISOString(),
        headers_only: true,
      },
      SCAN_BATCH,
      (m) => {
        read += 1;
        const pending = m.info.pending;
        const published = Math.floor(Number(m.info.timestampNanos) / 1e6);
        if (published > end + slackMs) return false;
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
          // Headers another writer got wrong (an end before the start, a count out of range)
          // would throw the cap off or fail every load that touches the chunk: not an entry.
          if (wellFormedEntry(e) && e.end >= start && e.start <= end) found.set(s, e);
        }
        // Every chunk ending before published − slack has been read: past the cap there, stop.
        if (read % 50 === 0 || pending === 0) {
          let safeSamples = 0;
          for (const e of found.values()) if (e.end <= published - slackMs) safeSamples += e.samples;
          if (safeSamples > LOAD_MAX_SAMPLES && pending > 0) {
            complete = false;
            return false;
          }
        }
        return true;
      },
    );
    // Pending messages that did not come: what follows was not read, so not vouched for.
    if (how === 'short') complete = false;
    return { entries: [...found.values()].sort((a, b) => a.start - b.start), complete };
  }

  /**
   * Versions: the whole subject once, then only what is new (only changes are there). A range
   * that starts after the latest version (nearly every seek: topologies rarely change) needs
   * only that version, which the direct get of the last message just brought.
   */
  private async topologies(host: string, start: number): Promise<void> {
    const st = this.cache.host(host);
    const last = await this.jsm.direct
      .getMessage(this.names.topoStream, { last_by_subj: this.names.topoSubject(host) })
      .catch(() => null);
    if (!last || last.seq <= st.topoSeq) return;
    const lastT = num(last.header, 'Hw-T') ?? 0;
    if (lastT <= start) {
      if (!st.topologies.has(lastT)) st.topologies.set(lastT, decodeTopologyMsg(last).topology);
      return;
    }
    await this.drain(
      this.names.topoStream,
      {
        filter_subjects: this.names.topoSubject(host),
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: st.topoSeq + 1,
      },
      TOPOLOGY_BATCH,
      (m) => {
        try {
          const v = decodeTopologyMsg(m);
          st.topologies.set(v.t, v.topology);
        } catch (e) {
          // Read past, not again: one unreadable version must not hide every later one.
          this.opts.log.warn(`fleet: skipping unreadable topology ${host}#${m.seq}: ${(e as Error).message}`);
        }
        st.topoSeq = Math.max(st.topoSeq, m.seq);
        return true;
      },
    );
  }

  /**
   * An ordered consumer's messages in batches until none are pending, `each` says stop (false) or
   * a fetch brings none of the pending ones; the consumer is deleted after. 'end': all read;
   * 'stopped': by `each`; 'short': pending messages that did not come (not read, not vouched for).
   */
  private async drain(
    stream: string,
    opts: Partial<OrderedConsumerOptions>,
    batchMax: number,
    each: (m: JsMsg) => boolean,
  ): Promise<'end' | 'stopped' | 'short'> {
    const consumer = await this.js.consumers.get(stream, opts);
    try {
      let pending = (await consumer.info(true)).num_pending;
      while (pending > 0) {
        const batch = await consumer.fetch({ max_messages: Math.min(pending, batchMax), expires: 5_000 });
        let got = 0;
        for await (const m of batch) {
          got += 1;
          pending = m.info.pending;
          if (!each(m)) return 'stopped';
        }
        if (got === 0) return 'short';
      }
      return 'end';
    } finally {
      void consumer.delete().catch(() => {});
    }
  }

  /**
   * Hour summaries by direct get, one per hour of the range, at most SUMMARY_HOURS_MAX (a day is
   * 24 gets). true when every hour of the range was read (the index may then stand for a scan).
   */
  private async summaries(host: string, start: number, end: number): Promise<boolean> {
    const hours: number[] = [];
    const last = Math.floor(end / HOUR_MS);
    for (let hr = Math.floor(start / HOUR_MS); hr <= last && hours.length < SUMMARY_HOURS_MAX; hr++)
      hours.push(hr);
    await Promise.all(
      hours.map(async (hr) => {
        const m = await this.jsm.direct.getMessage(this.names.summaryStream, {
          last_by_subj: this.names.summarySubject(host, hr),
        });
        const list = m ? summaryMessageList(m) : null;
        if (list) this.cache.setSummaries(host, hr, list);
      }),
    );
    return hours.at(-1) === last;
  }

  /** Where the host's recording starts and ends; the last chunk's sequence and end. */
  private async extent(host: string): Promise<{ last: LastChunk | null }> {
    const subject = this.names.chunkSubject(host);
    const [first, last] = await Promise.all([
      this.jsm.direct.getMessage(this.names.chunkStream, {
        seq: 0,
        next_by_subj: subject,
      } as never) as Promise<StoredMsg | null>,
      this.jsm.direct.getMessage(this.names.chunkStream, { last_by_subj: subject }),
    ]);
    this.cache.host(host).firstStart = num(first?.header, 'Hw-Start');
    const lastEnd = num(last?.header, 'Hw-End');
    if (lastEnd !== null) this.opts.onLastEnd(host, lastEnd);
    return { last: last && lastEnd !== null ? { seq: last.seq, end: lastEnd } : null };
  }
}

/** The host's newest chunk in the stream when the load began. */
export interface LastChunk {
  seq: number;
  end: number;
}

/**
 * The chunks of [start, end] from the hour summaries' index (each entry carries its chunk's
 * sequence), or null when the index cannot vouch for the whole range and a scan must: an entry
 * without a sequence, a hole between two entries (a chunk whose summary is missing: a replica
 * killed between the chunk and its summary), a start before the first entry that is not the
 * host's first chunk, or an end after the last entry that is not the stream's last chunk. A real
 * gap in the recording (the agent was away) is a hole too: such a range costs a scan.
 */
export function fromIndex(
  summaries: ReadonlyMap<number, readonly IndexedSummary[]>,
  start: number,
  end: number,
  firstStart: number | null,
  last: LastChunk | null,
): { entries: ChunkEntry[]; complete: boolean } | null {
  const byStart = new Map<number, ChunkEntry>();
  for (const list of summaries.values())
    for (const s of list)
      if (s.end >= start && s.start <= end && s.seq !== undefined)
        byStart.set(s.start, {
          start: s.start,
          end: s.end,
          samples: s.samples,
          codec: CHUNK_CODEC,
          seq: s.seq,
        });
  const entries = [...byStart.values()].sort((a, b) => a.start - b.start);
  if (entries.length === 0) return last === null || last.end < start ? { entries, complete: true } : null;
  const first = entries[0]!;
  if (first.start > start && first.start !== firstStart) return null;
  // Jitter between an agent's wall clock and its sample intervals leaves chunks a few ms apart;
  // a missing chunk leaves at least a sample interval.
  let n = 0;
  let span = 0;
  for (const e of entries) {
    n += e.samples;
    span += e.end - e.start;
  }
  const slack = Math.max(1, span / Math.max(1, n) / 2);
  let covered = first.end;
  for (const e of entries.slice(1)) {
    if (e.start - covered > slack) {
      // Past the load's cap already? Then what follows is not needed.
      if (samplesUpTo(entries, covered) > LOAD_MAX_SAMPLES) break;
      return null;
    }
    covered = Math.max(covered, e.end);
  }
  if (
    covered < end &&
    (last === null || last.end > covered) &&
    samplesUpTo(entries, covered) <= LOAD_MAX_SAMPLES
  )
    return null;
  return { entries, complete: true };
}

const samplesUpTo = (entries: readonly ChunkEntry[], t: number) =>
  entries.reduce((n, e) => (e.end <= t ? n + e.samples : n), 0);
