/** Playback clock resolution: ten frames a second is smooth for a map that changes per sample. */
export const PLAYBACK_TICK_MS = 100;

export interface ClockDeps {
  /** Monotonic milliseconds (performance.now in the app, a counter in tests). */
  now: () => number;
  /** Wall-clock milliseconds since the epoch (Date.now). */
  wall: () => number;
  playing: () => boolean;
  /** `wallMs` of real time passed; the replay slice turns it into playhead time at its speed. */
  tick: (wallMs: number, nowWall: number) => void;
  everyMs?: number;
}

/**
 * The playback clock, alone: every PLAYBACK_TICK_MS it reports the real time that passed since
 * the previous beat, so a late timer (a busy main thread) never slows the replay down. Returns
 * its stop.
 */
export function startClock(d: ClockDeps): () => void {
  let last = d.now();
  const timer = setInterval(() => {
    const now = d.now();
    const passed = now - last;
    last = now;
    if (d.playing()) d.tick(passed, d.wall());
  }, d.everyMs ?? PLAYBACK_TICK_MS);
  return () => clearInterval(timer);
}
