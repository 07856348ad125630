/**
 * Samples kept while the hub is away (and the recent past while it is not: a hub that restarts
 * says in `welcome.lastT` what it already has). Bounded by count AND bytes, whichever is hit
 * first, so memory stays bounded whatever the interval or the size of the host. Entries hold the
 * serialised sample, so what is measured is (almost exactly) what is sent.
 */
export interface RingEntry {
  t: number;
  seq: number;
  frame: string;
}

export class SampleRing {
  private entries: RingEntry[] = [];
  private head = 0;
  private bytes = 0;

  constructor(
    readonly maxCount: number,
    readonly maxBytes: number,
  ) {}

  push(entry: RingEntry): void {
    this.entries.push(entry);
    this.bytes += entry.frame.length;
    while (this.size > this.maxCount || (this.bytes > this.maxBytes && this.size > 0)) {
      this.bytes -= this.entries[this.head]!.frame.length;
      this.head++;
    }
    // Compact now and then instead of shifting on every push (O(n) each).
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.entries.length - this.head;
  }

  get byteSize(): number {
    return this.bytes;
  }

  /** Entries newer than `t` (all of them for null), oldest first. */
  since(t: number | null): RingEntry[] {
    const live = this.entries.slice(this.head);
    return t === null ? live : live.filter((e) => e.t > t);
  }
}
