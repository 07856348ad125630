import { IFACE_COUNTERS, type Sample } from '@hopwatch/shared';
import { ByPosition } from '../state/byPosition.ts';
import { type IfaceRows, restTextOf, rowsOfSample } from '../state/rows.ts';
import { ArenaPool } from './arenaPool.ts';

const WIDTH = IFACE_COUNTERS.length;
/** Samples a column holds before it grows: a 10 s chunk at 1 Hz has 10 or 11. */
const INITIAL_SAMPLES = 16;
const INITIAL_SLOTS = 64;
/**
 * The most values one chunk's columns may hold (128 MB): what MAX_CHUNK_ROWS rows of WIDTH
 * counters take, the bound the chunk reader holds a stored chunk to. Every column has room for
 * as many samples as the chunk may reach, so without it a hostile agent could make a little
 * input cost a lot: a chunk of 10 000 one-row samples lays the next chunk out for 10 000
 * samples, and a sample of 400 000 busy rows after it would ask for 6·10⁶ columns of that.
 * The write pump closes a chunk before a sample would pass it (valuesIfAdded), and a chunk's
 * first sample gets columns short enough for it.
 */
export const MAX_COLUMN_VALUES = 1_000_000 * WIDTH;

/** Columns' arrays, lent from chunk to chunk (arenaPool.ts): the pump releases a written chunk's. */
export const columnPools = {
  arena: new ArenaPool((n) => new Float64Array(n), 0),
  colAt: new ArenaPool((n) => new Int32Array(n), -1),
  present: new ArenaPool((n) => new Uint8Array(n), 0),
};

export interface ColumnsHint {
  samples: number;
  slots: number;
  cols: number;
}

/**
 * One open chunk's samples as typed-array columns, filled as each sample arrives (issue 12):
 * per interface and counter, the values across the chunk's samples, which is the layout the
 * `cols2` codec stores (chunk.ts encodeColumns), so closing the chunk is a pass over numbers,
 * not a second JSON.parse of every sample.
 *
 * Only non-zero columns get room: a column is allocated from one Float64Array (`arena`) the
 * first time one of its values is not 0, so an idle counter (most of the 16: errors, fifo,
 * multicast...) costs nothing. The bench's host (500 busy interfaces of 1000, 5 counters moving)
 * holds ~25 KB a sample this way against 47.5 KB of JSON text, in a handful of objects the
 * garbage collector does not trace into (the texts were one string each; parsed samples were
 * ~3000 objects each). The part of a sample that is not interface counters (softnet, drops,
 * qdiscs...) stays as its JSON text, which is what the chunk's header holds.
 */
export class SampleColumns {
  readonly t: number[] = [];
  readonly e: number[] = [];
  /** Per sample, JSON text of everything but t, elapsedMs and ifaces (the header's `rest`). */
  readonly rest: string[] = [];
  /** Interface ids in order of first appearance (the chunk's `ids`). */
  readonly ids: string[] = [];
  /** Interface rows over all samples (MAX_CHUNK_ROWS). */
  rows = 0;
  private readonly slotOf = new Map<string, number>();
  /** Each row's slot, found by its position in the previous sample first (state/byPosition.ts). */
  private readonly slots = new ByPosition<number>((id) => this.slotOf.get(id) ?? this.newSlot(id));
  /** Samples each column has room for. */
  private cap: number;
  /** Slots the per-slot arrays have room for. */
  private slotCap: number;
  /** Per slot and counter (slot × WIDTH + j): the column's index in `arena`, -1 while all zero. */
  private colAt: Int32Array<ArrayBuffer>;
  /** Per slot and sample (slot × cap + si): 1 when the interface is in the sample. */
  private present: Uint8Array<ArrayBuffer>;
  /** Column c's values are arena[c × cap .. c × cap + cap). */
  private arena: Float64Array<ArrayBuffer>;
  private cols = 0;
  /** The arrays went back to the pools (release): nothing may read or add any more. */
  private released = false;

  /**
   * `hint`: the sizes of the host's previous chunk, so a chunk like it is laid out once instead
   * of growing ~8 times on the way to 2500 columns. `firstRows`: the rows of the sample about to
   * be added first, whose columns must fit MAX_COLUMN_VALUES whatever the hint says.
   */
  constructor(hint?: ColumnsHint, firstRows = 0) {
    // An eighth of the bound for the first sample: a hostile one costs 16 MB here, not 128.
    const fits = Math.max(1, Math.floor(MAX_COLUMN_VALUES / 8 / Math.max(1, firstRows * WIDTH)));
    this.cap = Math.min(fits, Math.max(INITIAL_SAMPLES, hint?.samples ?? 0));
    this.slotCap = Math.max(INITIAL_SLOTS, hint?.slots ?? 0);
    const cols = Math.min(Math.max(16, hint?.cols ?? 0), Math.floor(MAX_COLUMN_VALUES / this.cap));
    this.colAt = columnPools.colAt.take(this.slotCap * WIDTH);
    this.present = columnPools.present.take(this.slotCap * this.cap);
    this.arena = columnPools.arena.take(Math.max(1, cols) * this.cap);
  }

  /**
   * The chunk is written and nobody reads these columns again (the write pump): their arrays go
   * back to the pools for the next chunks. Any later read or add throws rather than see another
   * chunk's numbers.
   */
  release(): void {
    if (this.released) return;
    this.released = true;
    columnPools.arena.give(this.arena);
    columnPools.colAt.give(this.colAt);
    columnPools.present.give(this.present);
    this.arena = new Float64Array(0);
    this.colAt = new Int32Array(0);
    this.present = new Uint8Array(0);
  }

  private live(): void {
    if (this.released) throw new Error('columns read after their chunk was written (store/columns.ts)');
  }

  /**
   * The values the columns would hold, at most, after one more sample of `rows` rows (every
   * counter of every row a new non-zero column): the pump closes the chunk first when this
   * passes MAX_COLUMN_VALUES.
   */
  valuesIfAdded(rows: number): number {
    const cap = this.t.length === this.cap ? this.cap * 2 : this.cap;
    return (this.cols + rows * WIDTH) * cap;
  }

  /** What the next chunk of this host is likely to need. */
  hint(): ColumnsHint {
    return { samples: this.t.length, slots: this.ids.length, cols: this.cols };
  }

  get length(): number {
    return this.t.length;
  }

  /**
   * Appends a checked sample (the agent frame's check: rows of WIDTH finite counters); `rows` are
   * its interface rows and `rest` the JSON text of the rest of it (state/rows.ts) when the
   * caller has them already.
   */
  add(sample: Sample, rows: IfaceRows = rowsOfSample(sample), rest: string = restTextOf(sample)): void {
    this.live();
    const si = this.t.length;
    if (si === this.cap) this.growSamples();
    this.t.push(sample.t);
    this.e.push(sample.elapsedMs);
    this.rest.push(rest);
    const slots = this.slots.of(rows.ids);
    const cap = this.cap;
    // Locals for the inner loop; read again after a column made the arena grow.
    const colAt = this.colAt;
    const present = this.present;
    let arena = this.arena;
    const v = rows.values;
    const n = rows.ids.length;
    for (let r = 0; r < n; r++) {
      const k = slots[r]!;
      present[k * cap + si] = 1;
      const base = k * WIDTH;
      const from = r * WIDTH;
      for (let j = 0; j < WIDTH; j++) {
        const x = v[from + j]!;
        // -0 stays 0, as the encoder always wrote it.
        if (x === 0) continue;
        let c = colAt[base + j]!;
        if (c < 0) {
          c = this.newColumn(base + j);
          arena = this.arena;
        }
        arena[c * cap + si] = x;
      }
    }
    this.rows += n;
  }

  /** Whether interface slot k is in sample si. */
  has(k: number, si: number): boolean {
    return this.present[k * this.cap + si] === 1;
  }

  /**
   * Counter j of slot k across the samples (length = this.length), or null when all zero. A view
   * of the arena: read it before the next add().
   */
  column(k: number, j: number): Float64Array | null {
    this.live();
    const c = this.colAt[k * WIDTH + j]!;
    if (c < 0) return null;
    const from = c * this.cap;
    return this.arena.subarray(from, from + this.t.length);
  }

  /** Sample si, built again (pending reads of an open chunk, the judge's latest sample). */
  sampleAt(si: number): Sample {
    this.live();
    const rest = JSON.parse(this.rest[si]!) as Omit<Sample, 't' | 'elapsedMs' | 'ifaces'>;
    const ifaces: Record<string, number[]> = {};
    const cap = this.cap;
    for (let k = 0; k < this.ids.length; k++) {
      if (this.present[k * cap + si] !== 1) continue;
      const id = this.ids[k]!;
      // The frame check never lets `__proto__` through; as a key it would set the prototype.
      if (id === '__proto__') continue;
      const row = new Array<number>(WIDTH);
      const base = k * WIDTH;
      for (let j = 0; j < WIDTH; j++) {
        const c = this.colAt[base + j]!;
        row[j] = c < 0 ? 0 : this.arena[c * cap + si]!;
      }
      ifaces[id] = row;
    }
    return { t: this.t[si]!, elapsedMs: this.e[si]!, ifaces, ...rest };
  }

  samples(): Sample[] {
    return this.t.map((_, si) => this.sampleAt(si));
  }

  private newSlot(id: string): number {
    const k = this.ids.length;
    if (k === this.slotCap) {
      this.slotCap *= 2;
      const colAt = columnPools.colAt.take(this.slotCap * WIDTH);
      colAt.set(this.colAt);
      columnPools.colAt.give(this.colAt);
      this.colAt = colAt;
      const present = columnPools.present.take(this.slotCap * this.cap);
      present.set(this.present);
      columnPools.present.give(this.present);
      this.present = present;
    }
    this.ids.push(id);
    this.slotOf.set(id, k);
    return k;
  }

  private newColumn(at: number): number {
    const c = this.cols++;
    if (this.cols * this.cap > this.arena.length) {
      const arena = columnPools.arena.take(this.arena.length * 2);
      arena.set(this.arena);
      columnPools.arena.give(this.arena);
      this.arena = arena;
    }
    this.colAt[at] = c;
    return c;
  }

  /** More samples than the columns hold (short intervals, a backfill): twice the room. */
  private growSamples(): void {
    const old = this.cap;
    const cap = old * 2;
    const arena = columnPools.arena.take(Math.max(this.cols, 16) * cap);
    for (let c = 0; c < this.cols; c++) arena.set(this.arena.subarray(c * old, c * old + old), c * cap);
    columnPools.arena.give(this.arena);
    this.arena = arena;
    const present = columnPools.present.take(this.slotCap * cap);
    for (let k = 0; k < this.ids.length; k++)
      present.set(this.present.subarray(k * old, k * old + old), k * cap);
    columnPools.present.give(this.present);
    this.present = present;
    this.cap = cap;
  }
}
