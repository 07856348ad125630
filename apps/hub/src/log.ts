/**
 * The hub's log: one line per event on stderr, prefixed so it reads well next to an embedded
 * agent's lines. Injected (HubOptions.log) so tests can keep quiet or assert on what was said.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: Logger = {
  info: (m) => console.error(`[hub] ${m}`),
  warn: (m) => console.error(`[hub] warning: ${m}`),
  error: (m) => console.error(`[hub] error: ${m}`),
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** One line per key per window: a misbehaving agent sending 1000 bad frames a second stays readable. */
export const LOG_ONCE_WINDOW_MS = 60_000;

/**
 * Logs the first event for a key, then stays quiet for LOG_ONCE_WINDOW_MS and reports how many it
 * swallowed on the next line. Keys are bounded by the caller (agent × reason), and old keys expire.
 */
export function createOnceLogger(log: Logger, now: () => number = Date.now) {
  const seen = new Map<string, { at: number; suppressed: number }>();
  return function logOnce(level: keyof Logger, key: string, message: string): void {
    const t = now();
    const entry = seen.get(key);
    if (entry && t - entry.at < LOG_ONCE_WINDOW_MS) {
      entry.suppressed += 1;
      return;
    }
    const extra =
      entry && entry.suppressed > 0 ? ` (${entry.suppressed} more like it in the last minute)` : '';
    seen.set(key, { at: t, suppressed: 0 });
    if (seen.size > 10_000) {
      for (const [k, v] of seen) if (t - v.at >= LOG_ONCE_WINDOW_MS) seen.delete(k);
    }
    log[level](message + extra);
  };
}
export type OnceLogger = ReturnType<typeof createOnceLogger>;
