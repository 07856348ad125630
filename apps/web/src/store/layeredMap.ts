/** Marks a key removed in an overlay (values are objects, never this). */
const GONE: unique symbol = Symbol('gone');

/**
 * Past this many overlaid keys, and past half the base, a new version is one flat Map again: the
 * overlay is copied on every version, so it must stay small beside the base it saves copying.
 */
const FLATTEN_MIN_KEYS = 64;

function copied<V>(
  prev: ReadonlyMap<string, V>,
  changed: Iterable<readonly [string, V]>,
  removed: Iterable<string>,
): Map<string, V> {
  const next = new Map(prev);
  for (const [id, v] of changed) next.set(id, v);
  for (const id of removed) next.delete(id);
  return next;
}

/**
 * A read-only id-keyed Map made by changing a few entries of another, without copying it. The
 * store's `statsById` is replaced, never mutated, on every tick (each hop's component compares
 * its own entry), but a tick changes only the hops on screen: 3 of 3000 on a folded host, where
 * copying the whole Map was 0.3 ms of the UI thread's ~3 ms per tick (bench:web). A version keeps
 * its predecessor's base and carries its changed keys in a small overlay of its own; neither is
 * ever written after it is made, so every version stays as it was. Iterates as a Map changed in
 * place would: base order, changed values in their place, new keys after.
 */
export class LayeredMap<V extends object> implements ReadonlyMap<string, V> {
  readonly #base: ReadonlyMap<string, V>;
  readonly #over: ReadonlyMap<string, V | typeof GONE>;
  readonly size: number;

  private constructor(
    base: ReadonlyMap<string, V>,
    over: ReadonlyMap<string, V | typeof GONE>,
    size: number,
  ) {
    this.#base = base;
    this.#over = over;
    this.size = size;
  }

  /**
   * `prev` with `changed` set and `removed` deleted. `prev` (any ReadonlyMap: a plain one from the
   * in-place judge or a test, or a LayeredMap) is read, never written.
   */
  static with<V extends object>(
    prev: ReadonlyMap<string, V>,
    changed: Iterable<readonly [string, V]>,
    removed: Iterable<string>,
  ): ReadonlyMap<string, V> {
    const base = prev instanceof LayeredMap ? (prev as LayeredMap<V>).#base : prev;
    const over = new Map(prev instanceof LayeredMap ? (prev as LayeredMap<V>).#over : undefined);
    let size = prev.size;
    for (const [id, v] of changed) {
      // A base key deleted and now set again goes last, as in a Map: rare (an interface gone and
      // back), so that version is a flat copy rather than one more kind of overlay entry.
      const o = over.get(id);
      if (o === GONE) return copied(prev, changed, removed);
      if (o === undefined && !base.has(id)) size++;
      over.set(id, v);
    }
    for (const id of removed) {
      const o = over.get(id);
      if (o === undefined ? base.has(id) : o !== GONE) size--;
      if (base.has(id)) over.set(id, GONE);
      else over.delete(id);
    }
    const next = new LayeredMap(base, over, size);
    return over.size > FLATTEN_MIN_KEYS && over.size * 2 > base.size ? new Map(next) : next;
  }

  get(id: string): V | undefined {
    const v = this.#over.get(id);
    if (v === undefined) return this.#base.get(id);
    return v === GONE ? undefined : v;
  }

  has(id: string): boolean {
    const v = this.#over.get(id);
    return v === undefined ? this.#base.has(id) : v !== GONE;
  }

  *entries(): MapIterator<[string, V]> {
    for (const [id, v] of this.#base) {
      const o = this.#over.get(id);
      if (o === undefined) yield [id, v];
      else if (o !== GONE) yield [id, o];
    }
    for (const [id, o] of this.#over) if (o !== GONE && !this.#base.has(id)) yield [id, o];
  }

  *keys(): MapIterator<string> {
    for (const [id] of this.entries()) yield id;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(cb: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [id, v] of this.entries()) cb.call(thisArg, v, id, this);
  }
}
