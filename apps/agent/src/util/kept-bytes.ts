/**
 * The bytes of a kernel file's latest read, kept to tell whether the next read says anything new:
 * most files of an idle namespace read byte for byte as before, and one comparison then spares
 * the string, the parse and the maps (SPEC COL8, READ2).
 */
export class KeptBytes {
  private raw: Buffer = EMPTY;
  private length = -1;

  /** Whether `bytes` equal the kept bytes (never true before the first keep or after a reset). */
  same(bytes: Uint8Array): boolean {
    return bytes.length === this.length && Buffer.compare(bytes, this.raw.subarray(0, this.length)) === 0;
  }

  /** Keep a copy of `bytes` (they usually sit in the shared read buffer). */
  keep(bytes: Uint8Array): void {
    if (this.raw.length < bytes.length) this.raw = Buffer.allocUnsafeSlow(bytes.length + 256);
    this.raw.set(bytes, 0);
    this.length = bytes.length;
  }

  /** Forget the bytes: the next read is news whatever it says. */
  reset(): void {
    this.length = -1;
  }
}

const EMPTY = Buffer.alloc(0);
