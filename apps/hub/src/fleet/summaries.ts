import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { Logger } from '../log.ts';
import type { ChunkSummary } from '../seams/recording.ts';
import type { FleetNames } from './connect.ts';

export const HOUR_MS = 3600_000;
const RETRY_MS = 500;

/**
 * A chunk's summary as the fleet publishes it: with the chunk's sequence in the chunk stream, so
 * an hour's summaries are also the index a seek reads its chunks by (loader.ts).
 */
export interface IndexedSummary extends ChunkSummary {
  seq?: number;
}

/**
 * More samples than one chunk can hold (10 s at the agents' fastest 1 ms would be 10 000): an
 * entry saying so is not a chunk's, and would throw a load's sample cap off.
 */
export const ENTRY_SAMPLES_MAX = 100_000;

/**
 * An hour's summaries as some replica published them: the well-formed entries, or nothing. Other
 * replicas (other versions) wrote them: an entry with a sequence below 1, a sample count out of
 * range or an end before its start would send a load to the wrong message or past its cap.
 */
export function summaryList(v: unknown): IndexedSummary[] | null {
  if (!Array.isArray(v)) return null;
  return v.filter((x): x is IndexedSummary => typeof x === 'object' && x !== null && wellFormedEntry(x));
}

/**
 * A chunk's place as another writer said it (a summary entry, a chunk message's headers): a
 * finite start ≤ end, a whole sample count in range, a sequence ≥ 1 if any.
 */
export function wellFormedEntry({
  start,
  end,
  samples,
  seq,
}: {
  start: number;
  end: number;
  samples: number;
  seq?: number | undefined;
}): boolean {
  return (
    Number.isFinite(start) &&
    Number.isFinite(end) &&
    start <= end &&
    Number.isInteger(samples) &&
    samples >= 0 &&
    samples <= ENTRY_SAMPLES_MAX &&
    (seq === undefined || (Number.isInteger(seq) && seq >= 1))
  );
}

/** A summary message's entries; an unparsable one (a broken writer) as none, so it is replaced. */
export function summaryMessageList(m: { json<T>(): T }): IndexedSummary[] | null {
  try {
    return summaryList(m.json<unknown>());
  } catch {
    return null;
  }
}

interface HourState {
  host: string;
  hour: number;
  byStart: Map<number, IndexedSummary>;
  /** The subject's last sequence as this replica knows it; null: read it (and merge) first. */
  seq: number | null;
  dirty: boolean;
  writing: Promise<void> | null;
}

/**
 * The hour summaries of the hosts this replica records, one message per host and hour. Two
 * replicas can write one hour (the host moved A → B → A, or the old owner flushes its last chunk
 * after the new one took over), so a write never overwrites: it is a compare-and-set on the
 * subject's last sequence (`Nats-Expected-Last-Subject-Sequence`), and one that finds another
 * writer's message merges that message's entries (by chunk start) and tries again. Writes of one
 * hour are coalesced: one in flight, the next carries everything added meanwhile.
 */
export class SummaryWriter {
  private readonly hours = new Map<string, HourState>();
  /** Hosts no longer recorded here: their hours go as soon as their writes are done. */
  private readonly forgotten = new Set<string>();

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly names: FleetNames,
    private readonly opts: {
      log: Logger;
      /** The merged hour, for this replica's own reads. */
      onMerged: (host: string, hour: number, list: IndexedSummary[]) => void;
      /** Writes in flight, for close() to wait on. */
      track: (p: Promise<void>) => void;
      closed: () => boolean;
    },
  ) {}

  add(host: string, s: IndexedSummary): void {
    const hour = Math.floor(s.end / HOUR_MS);
    const k = `${host}\u0000${hour}`;
    let st = this.hours.get(k);
    if (!st) {
      st = { host, hour, byStart: new Map(), seq: null, dirty: false, writing: null };
      this.hours.set(k, st);
      this.forgetIdle(host, hour);
    }
    this.forgotten.delete(host);
    st.byStart.set(s.start, s);
    st.dirty = true;
    this.opts.onMerged(host, hour, this.listOf(st));
    if (!st.writing) {
      const p = this.write(st).finally(() => {
        st.writing = null;
        if (this.forgotten.has(host)) this.forgetIdle(host, Number.NaN);
      });
      st.writing = p;
      this.opts.track(p);
    }
  }

  /** The host is no longer recorded here: its hours go once written (nothing kept, nothing re-sent). */
  forget(host: string): void {
    this.forgotten.add(host);
    this.forgetIdle(host, Number.NaN);
  }

  /** Hours held for `host` (tests: an owner that lost a host keeps none). */
  heldHours(host: string): number[] {
    return [...this.hours.values()].filter((s) => s.host === host).map((s) => s.hour);
  }

  private forgetIdle(host: string, except: number): void {
    for (const [k, st] of this.hours)
      if (st.host === host && st.hour !== except && !st.dirty && !st.writing) this.hours.delete(k);
    if (this.heldHours(host).length === 0) this.forgotten.delete(host);
  }

  private listOf(st: HourState): IndexedSummary[] {
    return [...st.byStart.values()].sort((a, b) => a.start - b.start);
  }

  private merge(st: HourState, theirs: IndexedSummary[]): void {
    // Ours win for a chunk both have: the same chunk (one message id), summarised the same way.
    for (const s of theirs) {
      const ours = st.byStart.get(s.start);
      if (!ours) st.byStart.set(s.start, s);
      else if (ours.seq === undefined && s.seq !== undefined)
        st.byStart.set(s.start, { ...ours, seq: s.seq });
    }
  }

  private async write(st: HourState): Promise<void> {
    const subject = this.names.summarySubject(st.host, st.hour);
    for (let attempt = 0; st.dirty && (!this.opts.closed() || attempt < 2); attempt++) {
      try {
        if (st.seq === null) {
          // From the stream leader, not a direct get: a replica's copy may lag the last write.
          const last = await this.jsm.streams.getMessage(this.names.summaryStream, { last_by_subj: subject });
          if (last) this.merge(st, summaryMessageList(last) ?? []);
          st.seq = last?.seq ?? 0;
          this.opts.onMerged(st.host, st.hour, this.listOf(st));
        }
        st.dirty = false;
        const h = headers();
        h.set('Nats-Expected-Last-Subject-Sequence', String(st.seq));
        const ack = await this.js.publish(subject, JSON.stringify(this.listOf(st)), {
          headers: h,
          timeout: 5_000,
        });
        st.seq = ack.seq;
      } catch (e) {
        st.dirty = true;
        const msg = (e as Error).message;
        if (/wrong last sequence/i.test(msg)) {
          st.seq = null; // another replica wrote this hour: merge its entries, then write again
          // A moment apart: two writers racing on one hour would otherwise spin at NATS' pace.
          await new Promise((r) => setTimeout(r, 10 + Math.random() * 90));
          continue;
        }
        if (attempt === 0 || attempt % 20 === 0)
          this.opts.log.warn(`fleet: publishing to ${subject} failed (${msg}); retrying`);
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }
}
