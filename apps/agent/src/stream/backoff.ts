/** First retry soon: a hub restart takes about a second. */
export const BACKOFF_INITIAL_MS = 500;
/** Then doubling up to 10 s: a hub that is down for long is not hammered. */
export const BACKOFF_MAX_MS = 10_000;
/** ±20 %: a hundred agents restarted together do not reconnect in lock step. */
export const BACKOFF_JITTER = 0.2;
/** A hub that refuses our token will not change its mind soon: retry once a minute. */
export const REFUSED_RETRY_MS = 60_000;

export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** Math.max(0, attempt));
  return Math.round(base * (1 + BACKOFF_JITTER * (2 * random() - 1)));
}
