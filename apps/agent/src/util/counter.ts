/**
 * Kernel counters are unsigned 64-bit. A JavaScript number holds integers exactly up to 2^53,
 * which a 100 Gbit/s NIC's byte counter passes after about eight days, so a counter is a number
 * while it fits and a bigint beyond. Parsing everything as BigInt was measured ~1.5x slower for
 * the 16 000 values a 1000-interface sample parses, and the fast path covers every real counter
 * for days.
 */
export type Counter = number | bigint;

/** Decimal strings with at most this many digits are below 2^53 (9 007 199 254 740 992). */
const SAFE_DIGITS = 15;
const U64_MOD = 1n << 64n;

export function parseCounter(text: string): Counter {
  if (text.length <= SAFE_DIGITS) return Number(text);
  const big = BigInt(text);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/**
 * Delta of a monotonic u64 counter. A counter that went backwards was reset (its device was
 * recreated, or the driver cleared it): the new value is what happened since the reset, never a
 * negative rate and never a 2^64 wrap, which no real counter reaches.
 */
export function counterDelta(prev: Counter, next: Counter): number {
  if (typeof prev === 'number' && typeof next === 'number') return next >= prev ? next - prev : next;
  const p = BigInt(prev);
  const n = BigInt(next);
  return Number(n >= p ? n - p : n);
}

/** Delta of a u32 counter that wraps (softnet_stat columns): next - prev mod 2^32. */
export function u32Delta(prev: number, next: number): number {
  return next >= prev ? next - prev : next - prev + 2 ** 32;
}

/** Exact decimal string of a counter (keyframes: u64-exact totals). */
export function counterString(value: Counter): string {
  return typeof value === 'bigint' ? (value % U64_MOD).toString() : String(value);
}
