import type { AppState, SliceCreator } from '../store/types.ts';
import type { Mark, Timeline } from './api.ts';

/** Playback speeds offered, slowest first ([ and ] step through them). */
export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8, 16] as const;
/**
 * While playing, the URL's `t` follows the playhead at most this often (wall clock): browsers
 * throttle history.replaceState, and a shared link is copied while paused anyway.
 */
export const PLAYING_URL_EVERY_MS = 1000;

export interface ReplaySlice {
  /** Named recording in the URL (`rec=ID&pos=S`), or null. */
  rec: string | null;
  pos: number | null;
  /** The replayed moment (ms since the epoch), null while live or until resolved (rec links). */
  playhead: number | null;
  playing: boolean;
  /** What the hub serves: a live hub, or a recording file (`hopwatch replay FILE`). */
  replaySource: 'live' | 'file' | null;
  /** The watched host's recorded range. */
  replayRange: { start: number; end: number } | null;
  timeline: Timeline | null;
  marks: Mark[];
  replayLoading: boolean;
  replayError: string | null;
  /** Wall clock of the last `t` written while playing (PLAYING_URL_EVERY_MS). */
  urlWrittenAt: number;

  /** Replay from t (enters replay from live), paused or playing as before. */
  seek: (t: number) => void;
  /** Open a named recording at `posSeconds` from its start. */
  openRecording: (id: string, posSeconds?: number) => void;
  play: () => void;
  pause: () => void;
  togglePlay: () => void;
  setSpeed: (speed: number) => void;
  /** Next faster (+1) or slower (-1) speed in SPEEDS. */
  stepSpeed: (dir: 1 | -1) => void;
  goLive: () => void;
  /** Playback clock: `wallMs` of real time passed at `speed`; pauses at the end of the range. */
  tick: (wallMs: number, nowWall: number) => void;
  setReplayInfo: (
    source: 'live' | 'file',
    range: { start: number; end: number } | null,
    marks: Mark[],
  ) => void;
  setTimeline: (timeline: Timeline | null) => void;
  setReplayLoading: (loading: boolean, error?: string | null) => void;
}

/** Replay is on when the URL says a time or a recording. */
export const selectReplayActive = (s: AppState): boolean => s.t !== 'live' || s.rec !== null;
/** The host the live socket should watch: none while replaying (no frames to fight the replay). */
export const selectLiveHost = (s: AppState): string | null => (selectReplayActive(s) ? null : s.host);

const iso = (t: number) => new Date(t).toISOString();

/** Position fields for a playhead: seconds from the open recording's start, to the ms. */
function position(s: AppState, t: number): { t: string; pos: number | null } {
  const mark = s.rec === null ? undefined : s.marks.find((m) => m.id === s.rec);
  return { t: iso(t), pos: mark === undefined ? s.pos : Math.round(t - mark.start) / 1000 };
}

export const createReplaySlice: SliceCreator<ReplaySlice> = (set, get) => ({
  rec: null,
  pos: null,
  playhead: null,
  playing: false,
  replaySource: null,
  replayRange: null,
  timeline: null,
  marks: [],
  replayLoading: false,
  replayError: null,
  urlWrittenAt: 0,

  seek: (t) => {
    const s = get();
    const r = s.replayRange;
    const at = Math.round(r === null ? t : Math.min(r.end, Math.max(r.start, t)));
    set({ playhead: at, ...position(s, at) });
  },
  openRecording: (id, posSeconds = 0) => {
    const mark = get().marks.find((m) => m.id === id);
    set({ rec: id, pos: posSeconds, playing: false });
    if (mark !== undefined) get().seek(mark.start + posSeconds * 1000);
    else set({ playhead: null });
  },
  play: () => {
    const s = get();
    if (s.playhead === null) {
      if (s.replayRange === null) return;
      s.seek(s.replayRange.start);
    } else if (s.replayRange !== null && s.playhead >= s.replayRange.end) {
      // At the end: play again from the start, as a media player does.
      s.seek(s.replayRange.start);
    }
    set({ playing: true, urlWrittenAt: 0 });
  },
  pause: () => {
    const s = get();
    set({ playing: false, ...(s.playhead !== null ? position(s, s.playhead) : {}) });
  },
  togglePlay: () => (get().playing ? get().pause() : get().play()),
  setSpeed: (speed) => set({ speed }),
  stepSpeed: (dir) => {
    const cur = get().speed;
    // The nearest offered speed (a URL may carry another), then one step from it.
    let at = 0;
    for (let i = 1; i < SPEEDS.length; i++)
      if (Math.abs(SPEEDS[i]! - cur) < Math.abs(SPEEDS[at]! - cur)) at = i;
    set({ speed: SPEEDS[Math.min(SPEEDS.length - 1, Math.max(0, at + dir))]! });
  },
  goLive: () => set({ t: 'live', rec: null, pos: null, playhead: null, playing: false }),
  tick: (wallMs, nowWall) => {
    const s = get();
    if (!s.playing || s.playhead === null) return;
    const end = s.replayRange?.end ?? Number.POSITIVE_INFINITY;
    const next = Math.min(end, Math.round(s.playhead + wallMs * s.speed));
    if (next >= end) {
      set({ playhead: next, playing: false, ...position(s, next) });
      return;
    }
    if (nowWall - s.urlWrittenAt >= PLAYING_URL_EVERY_MS) {
      set({ playhead: next, urlWrittenAt: nowWall, ...position(s, next) });
    } else set({ playhead: next });
  },
  setReplayInfo: (replaySource, replayRange, marks) => set({ replaySource, replayRange, marks }),
  setTimeline: (timeline) => set({ timeline }),
  setReplayLoading: (replayLoading, replayError = null) => set({ replayLoading, replayError }),
});
