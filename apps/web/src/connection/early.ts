import { type Boot, bootSession } from '../auth/session.ts';
import { type EarlyJudge, startEarlyJudge } from '../judge/early.ts';
import { decodeView } from '../url/view.ts';
import { HubSocket } from './socket.ts';

/**
 * The first things the page needs from the hub, started by the page's tiny entry (main.tsx) while
 * the app's bundle (start.tsx) is still being fetched and evaluated: the session check and the socket, already
 * subscribed to the URL's host, and the judge worker, fed the held sample frames. The topology
 * is then on its way, or here, and judged, when the app starts (start.tsx takes all three),
 * instead of being asked for after the first React render.
 */
export interface Early {
  session: Promise<Boot>;
  /** Holding its frames until the app releases it (connection/live.ts). */
  socket: HubSocket;
  /** The judge worker, judging the URL's host from the held frames (judge/early.ts); null: no workers. */
  judge: EarlyJudge | null;
}

let early: Early | null = null;

export function hubSocketUrl(loc: Location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws/ui`;
}

/**
 * The host the socket watches at first: the URL's, unless the URL opens a past moment (the store's
 * selectLiveHost says the same once the app runs; if they ever differed, it re-subscribes).
 */
function liveViewOf(search: string): { host: string | null; from: string | null; to: string | null } {
  const view = decodeView(search);
  const live = view.t === 'live' && (view.rec ?? null) === null;
  return { host: live ? view.host : null, from: view.from, to: view.to };
}

/** Started once, by main.tsx; start.tsx takes the same (or starts it, when main.tsx did not run). */
export function startEarly(win: Window): Early {
  if (early !== null) return early;
  const judge = startEarlyJudge(liveViewOf(win.location.search));
  const socket = new HubSocket({
    url: hubSocketUrl(win.location),
    hold: true,
    ...(judge === null ? {} : { onHeldFrame: judge.feed }),
  });
  // A login URL's token is exchanged for the session cookie first: the socket needs the cookie.
  const withToken = /[?&]token=/.test(win.location.search);
  const session = bootSession(win);
  const open = () => {
    const { host } = liveViewOf(win.location.search);
    socket.subscribe(host === null ? [] : [host]);
    socket.start();
  };
  if (withToken)
    void session.then((b) => {
      if (b.kind === 'in') open();
    });
  else open();
  early = { session, socket, judge };
  return early;
}
