import type { HopReport, Keyframe, Sample, Topology } from '@hopwatch/shared';
import type { Logger } from '../log.ts';
import { type IfaceRows, restTextOf, rowsOfSample } from '../state/rows.ts';
import { chunkHasRoom } from './chunk.ts';
import { buildChunkRow } from './chunkRow.ts';
import { type ColumnsHint, MAX_COLUMN_VALUES, SampleColumns } from './columns.ts';
import type { ChunkRow } from './sql.ts';

/** A host that stops sending still gets its last chunk written this long after the chunk opened. */
const IDLE_CLOSE_GRACE_MS = 2_000;
export const PUMP_INTERVAL_MS = 20;
/** Per pump tick; a 1000-interface chunk with its summary takes ~15 ms, so usually one a tick. */
export const PUMP_BUDGET_MS = 8;
const PUMP_BACKLOG_CHUNKS = 50;
const PUMP_BACKLOG_BUDGET_MS = 40;
/** Keyframes kept per host while no chunk is open (a reconnecting agent sends one each time). */
const MAX_EARLY_KEYFRAMES = 4;

/**
 * Samples wait as typed-array columns (columns.ts), filled as they arrive: not as parsed objects
 * (~3000 per sample at 1000 interfaces, alive for 10 s, which made young-generation GC pauses
 * long), and no longer as their JSON texts (issue 12: each text was made by JSON.stringify and
 * parsed again at close, two of the largest costs of a hub replica).
 */
export interface OpenChunk {
  host: string;
  columns: SampleColumns;
  /** Start of the first sample's interval. */
  start: number;
  /** t of the last sample. */
  end: number;
  keyframes: Keyframe[];
  /** Hub clock when the first sample arrived: closes chunks of hosts that went quiet. */
  openedAt: number;
}

/** Where finished chunks go: a SQLite table (store.ts) or a JetStream stream (fleet/). */
export interface ChunkSink {
  /** Runs fn as one unit of writing (a transaction; nothing for a stream). */
  batch(fn: () => void): void;
  write(row: ChunkRow): void;
}

export interface PumpOptions {
  chunkMs: number;
  log: Logger;
  now: () => number;
  /** The topology a closing chunk is judged against (the host's latest). */
  topologyOf: (host: string) => Topology | null;
  /** A chunk of `bytes` was written. */
  onWritten: (bytes: number) => void;
}

/**
 * A live chunk's window was judged (its loss summary's `localize`, hop by hop), once the chunk
 * is written: `end` is the t of its last sample.
 */
export type ChunkJudgedListener = (host: string, end: number, reports: Map<string, HopReport>) => void;

/**
 * The write path of a recording: samples collect in memory per host and become one
 * compressed chunk (chunkRow.ts) every chunkMs; full chunks queue and are written by tick() in
 * small transactions under a time budget, so that 200 hosts closing chunks in the same second
 * never stall the event loop. What is queued counts as recorded for lastT and for readers
 * (pendingFor), so nothing is invisible between arrival and the write.
 */
export class WritePump {
  private readonly open = new Map<string, OpenChunk>();
  /** Full chunks waiting for the pump, oldest first. */
  private readonly closing: OpenChunk[] = [];
  /** Keyframes that arrived while the host had no open chunk, per host. */
  private readonly earlyKeyframes = new Map<string, Keyframe[]>();
  /** Per host, the sizes of its last chunk: the next one is laid out like it. */
  private readonly hints = new Map<string, ColumnsHint>();
  private readonly writeSome: (budgetMs: number) => void;
  /** Told of each written chunk's judgement (the hub's host statuses, core.ts). */
  onJudged: ChunkJudgedListener | null = null;

  constructor(
    private readonly sink: ChunkSink,
    private readonly opts: PumpOptions,
  ) {
    /**
     * Writes queued chunks until the budget is spent, checking it after every chunk (one chunk of
     * 1000 interfaces is ~15 ms with its summary); the rest wait for the next tick. One
     * transaction per tick: a commit per chunk would cost a WAL sync each, and the tail a crash
     * can take stays one tick long.
     */
    this.writeSome = (budgetMs: number) =>
      sink.batch(() => {
        const t0 = performance.now();
        while (this.closing.length > 0 && performance.now() - t0 < budgetMs) {
          const chunk = this.closing.shift()!;
          try {
            this.write(chunk);
          } catch (e) {
            opts.log.error(
              `store: writing a chunk of ${chunk.host} failed, dropped: ${(e as Error).message}`,
            );
          }
        }
      });
  }

  /**
   * `ifaceRows`: the sample's interface rows (state/rows.ts) when the caller has them; `rest`:
   * the JSON text of the rest of it, likewise.
   */
  add(
    host: string,
    sample: Sample,
    ifaceRows: IfaceRows = rowsOfSample(sample),
    rest: string = restTextOf(sample),
  ): void {
    let chunk = this.open.get(host);
    const rows = ifaceRows.ids.length;
    if (
      chunk &&
      (sample.t - chunk.start > this.opts.chunkMs ||
        !chunkHasRoom(chunk.columns.length, chunk.columns.rows, rows) ||
        chunk.columns.valuesIfAdded(rows) > MAX_COLUMN_VALUES)
    ) {
      this.close(chunk);
      chunk = undefined;
    }
    if (!chunk) {
      chunk = {
        host,
        columns: new SampleColumns(this.hints.get(host), rows),
        start: sample.t - sample.elapsedMs,
        end: sample.t,
        keyframes: this.earlyKeyframes.get(host) ?? [],
        openedAt: this.opts.now(),
      };
      this.earlyKeyframes.delete(host);
      this.open.set(host, chunk);
    }
    chunk.columns.add(sample, ifaceRows, rest);
    chunk.end = sample.t;
  }

  private close(chunk: OpenChunk): void {
    this.hints.set(chunk.host, chunk.columns.hint());
    this.closing.push(chunk);
  }

  /**
   * A keyframe rides with the samples of its chunk; before the first sample (an agent sends one
   * right after connecting) it waits for the chunk to open.
   */
  addKeyframe(host: string, keyframe: Keyframe): void {
    const chunk = this.open.get(host);
    if (chunk) chunk.keyframes.push(keyframe);
    else {
      const waiting = this.earlyKeyframes.get(host) ?? [];
      waiting.push(keyframe);
      this.earlyKeyframes.set(host, waiting.slice(-MAX_EARLY_KEYFRAMES));
    }
  }

  /** One timer tick: close chunks of hosts gone quiet, write some. */
  tick(): void {
    // Falling behind (a burst of hosts closing chunks together): spend more per tick rather
    // than let the queue, and memory, grow.
    this.pump(this.closing.length > PUMP_BACKLOG_CHUNKS ? PUMP_BACKLOG_BUDGET_MS : PUMP_BUDGET_MS);
  }

  /** Every open chunk closed and written now. */
  flush(): void {
    for (const chunk of this.open.values()) this.close(chunk);
    this.open.clear();
    this.pump(Number.POSITIVE_INFINITY);
  }

  /** Chunks of `host` not on disk yet, oldest first. */
  pendingFor(host: string): OpenChunk[] {
    const list = this.closing.filter((c) => c.host === host);
    const o = this.open.get(host);
    if (o) list.push(o);
    return list;
  }

  samplesPending(): number {
    let n = 0;
    for (const c of this.open.values()) n += c.columns.length;
    for (const c of this.closing) n += c.columns.length;
    return n;
  }

  private pump(budgetMs: number): void {
    const t = this.opts.now();
    for (const [host, chunk] of this.open) {
      if (t - chunk.openedAt >= this.opts.chunkMs + IDLE_CLOSE_GRACE_MS) {
        this.open.delete(host);
        this.close(chunk);
        // Gone quiet: its next chunk, if any, is laid out from scratch.
        this.hints.delete(host);
      }
    }
    if (this.closing.length === 0) return;
    try {
      this.writeSome(budgetMs);
    } catch (e) {
      this.opts.log.error(`store: writing chunks failed: ${(e as Error).message}`);
    }
  }

  private write(chunk: OpenChunk): void {
    try {
      this.writeRow(chunk);
    } finally {
      // Encoded (or failed to): off the queue, so no reader sees it again; its arrays are lent
      // to the next chunks (columns.ts release).
      chunk.columns.release();
    }
  }

  private writeRow(chunk: OpenChunk): void {
    let reports: Map<string, HopReport> | null = null;
    const row = buildChunkRow(
      chunk.host,
      { columns: chunk.columns },
      chunk.keyframes,
      this.opts.topologyOf(chunk.host),
      (e) => this.opts.log.warn(`store: could not summarise a chunk of ${chunk.host}: ${e.message}`),
      (r) => {
        reports = r;
      },
    );
    if (!row) return;
    this.sink.write(row);
    this.opts.onWritten(row.data.length);
    if (reports && this.onJudged) {
      // The chunk is written whatever a listener does.
      try {
        this.onJudged(chunk.host, row.end, reports);
      } catch (e) {
        this.opts.log.error(`store: the judgement of a chunk of ${chunk.host}: ${(e as Error).message}`);
      }
    }
  }
}
