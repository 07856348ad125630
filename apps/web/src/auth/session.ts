import type { AppStore } from '../store/index.ts';

/**
 * Who the app is signed in as (GET /api/session), decided once at start: the hub's login URL
 * `/?token=…` is exchanged for a session cookie and the token taken out of the address bar
 * before anything else reads the URL, so a link copied from the app never carries it.
 */
export interface SessionInfo {
  auth: 'on' | 'off';
  name: string;
  role: 'viewer' | 'operator';
  via: string;
}

export type Boot = { kind: 'in'; session: SessionInfo | null } | { kind: 'out'; reason: string | null };

/** Sent on every change: the hub refuses a change without it from a browser that does not say Sec-Fetch-Site. */
export const CHANGE_HEADERS: Record<string, string> = { 'X-Hopwatch': '1' };

let current: SessionInfo | null = null;

export const currentSession = (): SessionInfo | null => current;
/** Operator actions (marks, deletes) are shown only to operators; the hub enforces it either way. */
export const canOperate = (): boolean => current === null || current.role === 'operator';

/** Removes `token=` from the address bar (history.replaceState) and returns it. */
export function takeToken(win: Window): string | null {
  const { search, pathname, hash } = win.location;
  const parts = search
    .replace(/^\?/, '')
    .split('&')
    .filter((p) => p !== '');
  const found = parts.find((p) => p.startsWith('token='));
  if (found === undefined) return null;
  const rest = parts.filter((p) => !p.startsWith('token='));
  win.history.replaceState(
    win.history.state,
    '',
    `${pathname}${rest.length > 0 ? `?${rest.join('&')}` : ''}${hash}`,
  );
  return decodeURIComponent(found.slice('token='.length));
}

async function said(res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as { error?: unknown } | null;
  return typeof body?.error === 'string' ? body.error : `${res.status} ${res.statusText}`;
}

/** POST /api/session: the hub answers with an HttpOnly cookie. A string is why not. */
export async function signIn(token: string): Promise<SessionInfo | string> {
  const res = await fetch('/api/session', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...CHANGE_HEADERS },
    body: JSON.stringify({ token: token.trim() }),
  });
  if (!res.ok) return await said(res);
  return (await res.json()) as SessionInfo;
}

export async function signOut(): Promise<void> {
  await fetch('/api/session', { method: 'DELETE', headers: CHANGE_HEADERS }).catch(() => {});
  window.location.reload();
}

/**
 * At start: a token in the URL signs in; else the cookie decides. A hub that cannot be reached
 * starts the app anyway (it retries and says so); it asks to sign in again once it answers 401.
 */
export async function bootSession(win: Window): Promise<Boot> {
  const token = takeToken(win);
  if (token !== null) {
    const r = await signIn(token).catch((e: Error) => e.message);
    if (typeof r === 'string') return { kind: 'out', reason: `The link's token was not accepted: ${r}` };
    current = r;
    return { kind: 'in', session: r };
  }
  try {
    const res = await fetch('/api/session');
    if (res.status === 401) return { kind: 'out', reason: null };
    if (!res.ok) return { kind: 'in', session: null };
    current = (await res.json()) as SessionInfo;
    return { kind: 'in', session: current };
  } catch {
    return { kind: 'in', session: null };
  }
}

let reloading = false;

/** The hub said 401 (session expired, hub restarted, token revoked): start over at the sign-in screen. */
export function signedOut(): void {
  if (reloading) return;
  reloading = true;
  window.location.reload();
}

/**
 * A browser cannot read why a WebSocket handshake failed; when the socket drops, ask the hub
 * whether the session still holds, and go to the sign-in screen when it does not.
 */
export function watchSession(store: AppStore): () => void {
  return store.subscribe(
    (s) => s.connection,
    (connection) => {
      if (connection === 'online' || current?.auth === 'off') return;
      fetch('/api/session')
        .then((res) => {
          if (res.status === 401) signedOut();
        })
        .catch(() => {});
    },
  );
}
