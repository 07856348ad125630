/**
 * Typed arrays handed back by written chunks (columns.ts), lent to the next chunks: a replica
 * closes ~20 chunks a second at 200 hosts, each with ~400 KB of columns (its arena, slot table
 * and presence bits), and allocating them fresh cost ~5 % of its main thread (bench:path's
 * profile: zeroed pages from the kernel, then the garbage collector's accounting of that much
 * memory outside the heap, which starts collections of its own). Arrays come in size classes (a
 * quarter of a power of two apart) so that hosts of slightly different sizes share them; a
 * borrower gets an array at least as long as it asked for (at most twice), filled as a new one
 * would be.
 */
type Typed = Float64Array | Int32Array | Uint8Array;

/** Bytes the pool holds at most, over all classes: a burst's worth, not a cache. */
export const POOL_MAX_BYTES = 64 * 2 ** 20;
/** Arrays below this are allocated fresh: not worth a look-up. */
const POOL_MIN_LENGTH = 4096;

/** The length of n's size class: n rounded up to a quarter of its power of two. */
export function classLength(n: number): number {
  if (n <= POOL_MIN_LENGTH) return n;
  const step = 2 ** Math.max(0, Math.floor(Math.log2(n)) - 2);
  return Math.ceil(n / step) * step;
}

export class ArenaPool<T extends Typed> {
  private readonly free = new Map<number, T[]>();
  private bytes = 0;
  /** Arrays lent from the pool, and made fresh (tests, the bench). */
  reused = 0;
  made = 0;

  constructor(
    private readonly make: (length: number) => T,
    /** The value a new array holds everywhere (0, or -1 for "no column"). */
    private readonly fillValue: number,
  ) {}

  /** An array of at least `length` elements (at most twice its class), every one fillValue. */
  take(length: number): T {
    const n = classLength(length);
    let a: T | undefined;
    // Its own class first, then the next ones up to twice as long: a chunk laid out from its
    // hint asks for less than the previous chunk grew to.
    for (let c = n; !a && c <= 2 * n; c = classLength(c + 1)) a = this.free.get(c)?.pop();
    if (a) {
      this.bytes -= a.byteLength;
      this.reused += 1;
      a.fill(this.fillValue);
      return a;
    }
    this.made += 1;
    const fresh = this.make(n);
    if (this.fillValue !== 0) fresh.fill(this.fillValue);
    return fresh;
  }

  /** `a` is no longer used by its borrower (nor by anyone it was shown to). */
  give(a: T): void {
    const n = a.length;
    if (n <= POOL_MIN_LENGTH || classLength(n) !== n) return;
    if (this.bytes + a.byteLength > POOL_MAX_BYTES) return;
    const list = this.free.get(n) ?? [];
    list.push(a);
    this.free.set(n, list);
    this.bytes += a.byteLength;
  }

  heldBytes(): number {
    return this.bytes;
  }
}
