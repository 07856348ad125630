/**
 * The bytes of a kernel file's latest read, kept to tell whether the next read says anything new:
 * most files of an idle namespace read byte for byte as before, and one comparison then spares
 * the string, the parse and the maps (SPEC COL8, READ2).
 */
export class KeptBytes {
  private raw: Buffer = EMPTY;
  /** The kept bytes: a view of `raw`, made when they are kept, not on every comparison. */
  private kept: Uint8Array | null = null;

  /** Whether `bytes` equal the kept bytes (never true before the first keep or after a reset). */
  same(bytes: Uint8Array): boolean {
    return this.kept !== null && bytes.length === this.kept.length && Buffer.compare(bytes, this.kept) === 0;
  }

  /** The kept bytes (valid until the next keep), or null. */
  get bytes(): Uint8Array | null {
    return this.kept;
  }

  /** Keep a copy of `bytes` (they usually sit in the shared read buffer). */
  keep(bytes: Uint8Array): void {
    if (this.raw.length < bytes.length) this.raw = Buffer.allocUnsafeSlow(bytes.length + 256);
    this.raw.set(bytes, 0);
    this.kept = new Uint8Array(this.raw.buffer, this.raw.byteOffset, bytes.length);
  }

  /** Forget the bytes: the next read is news whatever it says. */
  reset(): void {
    this.kept = null;
  }
}

const EMPTY = Buffer.alloc(0);
