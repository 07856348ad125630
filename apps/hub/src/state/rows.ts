import { IFACE_COUNTERS, type Sample } from '@hopwatch/shared';

const WIDTH = IFACE_COUNTERS.length;

/**
 * A sample's interface rows as its ids in the frame's order and one Float64Array of their
 * counters (row r is values[r × WIDTH, r × WIDTH + WIDTH)): what the open chunk's columns, the
 * running totals and the latest-sample buffers read, each of which walked the `ifaces` object
 * itself before (three for-in walks and three keyed look-ups per row, plus a walk to count the
 * rows: issue 12). The agent's sample frames are read straight into this form
 * (ws/sampleScan.ts), without the 500–1000 row arrays JSON.parse makes.
 *
 * `ids` is the same array from sample to sample while the agent sends the same interfaces in the
 * same order (as it does between topology changes), and a new one otherwise: readers that keep
 * per-position state (slots, accumulators) check it by identity, not id by id. An `ids` array is
 * never changed once handed out. `values` may be a buffer the maker reuses for its next sample:
 * readers copy what they keep before they return.
 */
export interface IfaceRows {
  readonly ids: readonly string[];
  readonly values: Float64Array;
}

/** One host's packer: keeps the last ids (so that the next sample's can be the same array). */
export class RowPacker {
  private ids: readonly string[] = [];
  private values = new Float64Array(0);

  pack(ifaces: Sample['ifaces']): IfaceRows {
    const prev = this.ids;
    let ids: string[] | null = null;
    let n = 0;
    for (const id in ifaces) {
      if (ids === null && prev[n] !== id) ids = prev.slice(0, n);
      if (ids !== null) ids.push(id);
      n += 1;
    }
    if (ids === null && prev.length !== n) ids = prev.slice(0, n);
    if (ids !== null) this.ids = ids;
    if (this.values.length < n * WIDTH) this.values = new Float64Array(Math.ceil(n * 1.25) * WIDTH);
    const v = this.values;
    let o = 0;
    for (const id in ifaces) {
      const row = ifaces[id]!;
      // A short row's missing counters are 0 (the frame check allows none; callers may).
      for (let j = 0; j < WIDTH; j++) v[o + j] = row[j] ?? 0;
      o += WIDTH;
    }
    return { ids: this.ids, values: v };
  }
}

/** The rows of one sample on its own (import, tests): a fresh ids array and buffer. */
export function rowsOfSample(sample: Sample): IfaceRows {
  return new RowPacker().pack(sample.ifaces);
}

/** `ifaces` as a Sample has it, built from rows (a fresh object: callers may keep it). */
export function ifacesOf(rows: IfaceRows): Sample['ifaces'] {
  const out: Sample['ifaces'] = {};
  const v = rows.values;
  for (let r = 0; r < rows.ids.length; r++) {
    const id = rows.ids[r]!;
    // The frame check never lets `__proto__` through; as a key it would set the prototype.
    if (id === '__proto__') continue;
    const row = new Array<number>(WIDTH);
    for (let j = 0; j < WIDTH; j++) row[j] = v[r * WIDTH + j]!;
    out[id] = row;
  }
  return out;
}

/**
 * restOf's JSON text: what an open chunk keeps of each sample besides its rows (store/columns.ts)
 * and the host's latest sample too (state/latest.ts), one text for both.
 */
export function restTextOf(sample: Sample): string {
  return JSON.stringify(restOf(sample));
}

/** Everything of a sample but t, elapsedMs and ifaces, in its order, without reading ifaces. */
export function restOf(sample: Sample): Omit<Sample, 't' | 'elapsedMs' | 'ifaces'> {
  const rest: Record<string, unknown> = {};
  for (const k in sample)
    if (k !== 't' && k !== 'elapsedMs' && k !== 'ifaces') rest[k] = sample[k as keyof Sample];
  return rest as Omit<Sample, 't' | 'elapsedMs' | 'ifaces'>;
}
