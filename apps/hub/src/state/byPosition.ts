/**
 * A value per interface id, for the ids of one sample after another. An agent sends the same
 * interfaces in the same order from sample to sample (and state/rows.ts hands back the very same
 * ids array while they repeat), so each id first looks where it was in the previous sample's
 * ids, and only an id that moved, came or is new is `find`-ed (issue 12: 1000 map look-ups a
 * sample a host otherwise). Used for a host's running totals and an open chunk's slots.
 */
export class ByPosition<T> {
  private ids: readonly string[] = [];
  private values: T[] = [];

  constructor(private readonly find: (id: string) => T) {}

  /** Each id's value, in order: the previous call's very array when `ids` is its array. */
  of(ids: readonly string[]): readonly T[] {
    if (ids === this.ids) return this.values;
    const prev = this.ids;
    const prevValues = this.values;
    const values = new Array<T>(ids.length);
    for (let r = 0; r < ids.length; r++) {
      const id = ids[r]!;
      values[r] = prev[r] === id ? prevValues[r]! : this.find(id);
    }
    this.ids = ids;
    this.values = values;
    return values;
  }
}
