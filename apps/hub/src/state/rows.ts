import type { Sample } from '@hopwatch/shared';

/**
 * A sample's interface rows as two arrays in the frame's order, made by one walk over its
 * `ifaces` object: what the open chunk's columns, the running totals and the latest-sample
 * buffers read, each of which walked the object itself before (three for-in walks and three
 * keyed look-ups per row, plus a walk to count the rows: issue 12).
 *
 * `ids` is the same array from sample to sample while the agent sends the same interfaces in the
 * same order (as it does between topology changes), and a new one otherwise: readers that keep
 * per-position state (slots, accumulators) check it by identity, not id by id. An `ids` array is
 * never changed once handed out.
 */
export interface IfaceRows {
  readonly ids: readonly string[];
  /** The sample's own row arrays (checked: WIDTH finite counters each), not copies. */
  readonly rows: readonly (readonly number[])[];
}

/** One host's packer: keeps the last ids so that the next sample's can be the same array. */
export class RowPacker {
  private ids: readonly string[] = [];

  pack(ifaces: Sample['ifaces']): IfaceRows {
    const prev = this.ids;
    let ids: string[] | null = null;
    const rows: (readonly number[])[] = [];
    let n = 0;
    for (const id in ifaces) {
      if (ids === null && prev[n] !== id) ids = prev.slice(0, n);
      if (ids !== null) ids.push(id);
      rows.push(ifaces[id]!);
      n += 1;
    }
    if (ids === null && prev.length !== n) ids = prev.slice(0, n);
    if (ids !== null) this.ids = ids;
    return { ids: this.ids, rows };
  }
}

/** The rows of one sample on its own (import, tests): a fresh ids array. */
export function rowsOfSample(sample: Sample): IfaceRows {
  return new RowPacker().pack(sample.ifaces);
}
