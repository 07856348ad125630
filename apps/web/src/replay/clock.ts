/** Playback clock resolution: ten frames a second is smooth for a map that changes per sample. */
export const PLAYBACK_TICK_MS = 100;

export interface ClockDeps {
  /** Monotonic milliseconds (performance.now in the app, a counter in tests). */
  now: () => number;
  /** Wall-clock milliseconds since the epoch (Date.now). */
  wall: () => number;
  playing: () => boolean;
  /** Calls `cb` when `playing()` may have changed; returns its unsubscribe. */
  onPlayingChange: (cb: () => void) => () => void;
  /** `wallMs` of real time passed; the replay slice turns it into playhead time at its speed. */
  tick: (wallMs: number, nowWall: number) => void;
  everyMs?: number;
}

/**
 * The playback clock, alone: every PLAYBACK_TICK_MS while playing it reports the real time that
 * passed since the previous beat, so a late timer (a busy main thread) never slows the replay
 * down. No timer runs while paused or live: ten idle beats a second were ~0.2 ms of the UI
 * thread's ~3 ms per live tick at 3000 interfaces (bench:web), for nothing. Returns its stop.
 */
export function startClock(d: ClockDeps): () => void {
  let timer: ReturnType<typeof setInterval> | null = null;
  let last = 0;
  const beat = () => {
    const now = d.now();
    const passed = now - last;
    last = now;
    if (d.playing()) d.tick(passed, d.wall());
  };
  const follow = () => {
    if (d.playing() && timer === null) {
      // Counted from the press of play: the time paused before it is not played.
      last = d.now();
      timer = setInterval(beat, d.everyMs ?? PLAYBACK_TICK_MS);
    } else if (!d.playing() && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
  const off = d.onPlayingChange(follow);
  follow();
  return () => {
    off();
    if (timer !== null) clearInterval(timer);
    timer = null;
  };
}
