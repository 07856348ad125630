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

const DROPPED: RingEntry = { t: 0, seq: 0, frame: '' };

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
    while (this.size > this.maxCount || (this.bytes > this.maxBytes && this.size > 0)) this.dropOldest();
    this.compact();
  }

  /** Forget the entries made at or before `t` (entries are in time order). */
  dropUntil(t: number): void {
    while (this.size > 0 && this.entries[this.head]!.t <= t) this.dropOldest();
    this.compact();
  }

  private dropOldest(): void {
    this.bytes -= this.entries[this.head]!.frame.length;
    // Not kept alive by the array until the next compaction.
    this.entries[this.head] = DROPPED;
    this.head++;
  }

  /** Compact now and then instead of shifting on every drop (O(n) each). */
  private compact(): void {
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
