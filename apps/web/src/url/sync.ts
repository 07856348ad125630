import type { AppState, AppStore } from '../store/index.ts';
import { decodeView, encodeView, type View } from './view.ts';

/** Camera moves settle before the URL follows: history.replaceState is rate-limited by browsers. */
export const CAMERA_URL_DEBOUNCE_MS = 400;

export const selectView = (s: AppState): View => ({
  host: s.host,
  from: s.from,
  to: s.to,
  sel: s.sel,
  t: s.t,
  speed: s.speed,
  cam: s.cam,
  rec: s.rec,
  pos: s.pos,
  wf: s.wf,
  fleet: s.fleet,
});

/** Field by field; the values are strings, numbers, null, or lists kept by reference. */
function sameFields(a: View, b: View): boolean {
  for (const k of Object.keys(a) as (keyof View)[]) if (!Object.is(a[k], b[k])) return false;
  return true;
}

/**
 * The URL is the view: read once at start, then replaced (never pushed: the back button should
 * leave the app, not step through every click) as the operator clicks. Camera-only changes are
 * debounced.
 */
export function startUrlSync(store: AppStore, win: Window): () => void {
  store.getState().applyView(decodeView(win.location.search));
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = win.location.search;
  const write = () => {
    timer = null;
    const next = encodeView(selectView(store.getState()));
    if (next === last) return;
    last = next;
    win.history.replaceState(win.history.state, '', `${win.location.pathname}${next}`);
  };
  // The view's fields compared one by one: every store update (a sample each second) runs this,
  // and only a changed field is worth encoding the URL for.
  const unsub = store.subscribe(
    (s) => ({ ...selectView(s), cam: null }),
    () => {
      if (timer !== null) clearTimeout(timer);
      write();
    },
    { equalityFn: sameFields },
  );
  const unsubCam = store.subscribe(
    (s) => s.cam,
    () => {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(write, CAMERA_URL_DEBOUNCE_MS);
    },
  );
  // Normalise the address at once (defaults written out, malformed parameters dropped).
  write();
  const onPop = () => store.getState().applyView(decodeView(win.location.search));
  win.addEventListener('popstate', onPop);
  return () => {
    unsub();
    unsubCam();
    win.removeEventListener('popstate', onPop);
    if (timer !== null) clearTimeout(timer);
  };
}
