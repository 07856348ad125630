/**
 * Wrong tokens per client address. Generated tokens (256 bits) are not guessed, but a tokens file
 * may hold ones people chose; after `max` wrong tokens in `windowMs` an address gets no answer
 * to any token, right or wrong, until the window ends, so guessing stays slow and a lucky guess
 * is not even confirmed. Addresses tracked are bounded (oldest dropped first). Behind a proxy
 * every client shares the proxy's address: there, the proxy signs people in.
 */
export class FailureLimiter {
  private readonly seen = new Map<string, { start: number; n: number }>();

  constructor(
    readonly max = 20,
    readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  blocked(key: string): boolean {
    const e = this.seen.get(key);
    return e !== undefined && this.now() - e.start < this.windowMs && e.n >= this.max;
  }

  fail(key: string): void {
    const t = this.now();
    const e = this.seen.get(key);
    if (e === undefined || t - e.start >= this.windowMs) {
      this.seen.delete(key);
      this.seen.set(key, { start: t, n: 1 });
      if (this.seen.size > 10_000) {
        const oldest = this.seen.keys().next().value;
        if (oldest !== undefined) this.seen.delete(oldest);
      }
      return;
    }
    e.n += 1;
  }
}
