import { currentSession, signOut } from './session.ts';

/** Who the app is signed in as, and sign-out; with authentication off, a warning instead. */
export function SessionMenu() {
  const s = currentSession();
  if (s === null || s.auth === 'off') return null;
  return (
    <span className="flex items-center gap-1.5" style={{ fontSize: 12 }} data-testid="session">
      <span className="muted" title={`signed in as ${s.name} (${s.role})`}>
        {s.name} · {s.role}
      </span>
      {/* Behind a single-sign-on proxy the proxy owns the session: nothing to sign out of here. */}
      {s.via === 'session' && (
        <button type="button" className="panel px-1.5" data-testid="signout" onClick={() => void signOut()}>
          sign out
        </button>
      )}
    </span>
  );
}

/** `--insecure-no-auth`: said on every screen, not only in the hub's terminal. */
export function AuthOffBanner() {
  if (currentSession()?.auth !== 'off') return null;
  return (
    <div
      role="alert"
      data-testid="auth-off"
      className="px-3 py-1 font-semibold text-center"
      style={{ background: 'var(--st-loss)', color: '#fff', fontSize: 12.5 }}
    >
      ⚠ Authentication is off (--insecure-no-auth): anyone who can reach this hub sees every host and can
      change recordings.
    </div>
  );
}
