/**
 * A token bucket: `rate` tokens a second, at most `burst` saved up. `take` never refuses; it
 * answers how long the caller should wait before taking more, so an agent that sends too fast
 * is slowed down by TCP back-pressure (its socket is paused) instead of having frames dropped.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.at = now();
  }

  /** Takes n tokens; returns 0, or the ms until the bucket is back to zero debt. */
  take(n: number): number {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.at) / 1000) * this.rate);
    this.at = t;
    this.tokens -= n;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }
}
