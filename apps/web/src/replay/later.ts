import type { JudgeClient } from '../judge/client.ts';
import type { AppState, AppStore } from '../store/index.ts';
import type { ReplayController } from './controller.ts';
import { MARK_FIRST_MAP } from '../map/marks.ts';
import { selectReplayActive } from './replaySlice.ts';

/** Whatever else happens (a hub that never answers), replay is loaded this long after start. */
export const REPLAY_LOAD_FALLBACK_MS = 3000;

/** The hub listed its hosts and none is a live one to draw: nothing to wait for. */
const noLiveHost = (s: AppState): boolean =>
  s.hosts !== null && (s.host === null || s.hosts.find((h) => h.host === s.host)?.status !== 'online');

/** Most browsers say when their UI thread is idle; the others get a short delay instead. */
const whenIdle = (fn: () => void) => {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(fn, { timeout: IDLE_WAIT_MS });
  else setTimeout(fn, IDLE_WAIT_MS / 4);
};
/** Idle or not, replay is loaded at most this long after the first picture is laid out. */
const IDLE_WAIT_MS = 2000;

export interface LateReplay {
  /** The controller once loaded and started, null before. */
  get: () => ReplayController | null;
  subscribe: (cb: () => void) => () => void;
  stop: () => void;
}

/**
 * Replay (the controller, the hub's replay routes and their zod schemas) is not on the way to the
 * first picture of a live host: it is loaded once that picture is on screen; at once when the URL
 * opens a moment in the past; as soon as the hub's host list shows no live host to draw (the
 * fleet overview, a hub serving a recording file, which opens at the file's start); and after
 * REPLAY_LOAD_FALLBACK_MS whatever happens.
 */
export function startReplayLater(store: AppStore, judge: JudgeClient | null): LateReplay {
  let controller: ReplayController | null = null;
  let stopped = false;
  const listeners = new Set<() => void>();
  let requested = false;
  let stopWaiting = () => {};
  const load = () => {
    if (requested) return;
    requested = true;
    stopWaiting();
    clearTimeout(timer);
    import('./controller.ts').then(
      (m) => {
        if (stopped) return;
        controller = m.startReplay(store, judge);
        for (const cb of listeners) cb();
      },
      (e: unknown) => {
        // A dropped link or a hub upgraded under the tab: live goes on; try again later.
        console.warn(`hopwatch: replay could not be loaded: ${(e as Error)?.message ?? e}`);
        if (stopped) return;
        requested = false;
        timer = setTimeout(load, REPLAY_LOAD_FALLBACK_MS);
      },
    );
  };
  let timer = setTimeout(load, REPLAY_LOAD_FALLBACK_MS);
  // Replaying from the start, or nothing live to draw: now. Else once the map has framed its first
  // picture (MARK_FIRST_MAP), when the UI thread is next idle: replay's chunk, zod and all, must
  // not come between the layout and its render and paint.
  const offReady = store.subscribe(
    (s) => selectReplayActive(s) || noLiveHost(s),
    (ready) => {
      if (ready) load();
    },
    { fireImmediately: true },
  );
  let observer: PerformanceObserver | null = null;
  if (typeof PerformanceObserver === 'function') {
    observer = new PerformanceObserver((list) => {
      if (list.getEntriesByName(MARK_FIRST_MAP).length > 0) whenIdle(load);
    });
    observer.observe({ type: 'mark' });
  }
  stopWaiting = () => {
    offReady();
    observer?.disconnect();
  };
  if (requested) stopWaiting();
  return {
    get: () => controller,
    subscribe: (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    stop: () => {
      stopped = true;
      stopWaiting();
      clearTimeout(timer);
      controller?.stop();
    },
  };
}
