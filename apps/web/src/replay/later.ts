import type { JudgeClient } from '../judge/client.ts';
import type { AppState, AppStore } from '../store/index.ts';
import type { ReplayController } from './controller.ts';
import { selectReplayActive } from './replaySlice.ts';

/** Whatever else happens (a hub that never answers), replay is loaded this long after start. */
export const REPLAY_LOAD_FALLBACK_MS = 3000;

/** The hub listed its hosts and none is a live one to draw: nothing to wait for. */
const noLiveHost = (s: AppState): boolean =>
  s.hosts !== null && (s.host === null || s.hosts.find((h) => h.host === s.host)?.status !== 'online');

export interface LateReplay {
  /** The controller once loaded and started, null before. */
  get: () => ReplayController | null;
  subscribe: (cb: () => void) => () => void;
  stop: () => void;
}

/**
 * Replay (the controller, the hub's replay routes and their zod schemas) is not on the way to the
 * first picture of a live host: it is loaded once that picture is laid out; at once when the URL
 * opens a moment in the past; as soon as the hub's host list shows no live host to draw (the
 * fleet overview, a hub serving a recording file, which opens at the file's start); and after
 * REPLAY_LOAD_FALLBACK_MS whatever happens.
 */
export function startReplayLater(store: AppStore, judge: JudgeClient | null): LateReplay {
  let controller: ReplayController | null = null;
  let stopped = false;
  const listeners = new Set<() => void>();
  let requested = false;
  let offLayout = () => {};
  const load = () => {
    if (requested) return;
    requested = true;
    offLayout();
    clearTimeout(timer);
    void import('./controller.ts').then((m) => {
      if (stopped) return;
      controller = m.startReplay(store, judge);
      for (const cb of listeners) cb();
    });
  };
  const timer = setTimeout(load, REPLAY_LOAD_FALLBACK_MS);
  // After the first laid-out picture: a task later, so its paint comes first.
  offLayout = store.subscribe(
    (s) => s.layout !== null || selectReplayActive(s) || noLiveHost(s),
    (ready) => {
      if (!ready) return;
      if (selectReplayActive(store.getState())) load();
      else setTimeout(load, 0);
    },
    { fireImmediately: true },
  );
  if (requested) offLayout();
  return {
    get: () => controller,
    subscribe: (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    stop: () => {
      stopped = true;
      offLayout();
      clearTimeout(timer);
      controller?.stop();
    },
  };
}
