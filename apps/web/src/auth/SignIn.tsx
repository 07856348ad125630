import { useState } from 'react';
import { signIn } from './session.ts';

/**
 * What the app shows without a credential: where to find the token, and a box to paste it.
 * Nothing else of the app starts (no socket, no requests) until the hub accepts one.
 */
export function SignIn({ reason }: { reason: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(reason);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    const r = await signIn(token).catch((e: Error) => `cannot reach the hub (${e.message})`);
    if (typeof r === 'string') {
      setError(r);
      setBusy(false);
    } else window.location.reload();
  };
  return (
    <div className="h-full flex items-center justify-center" style={{ background: 'var(--bg)' }}>
      <form
        className="panel px-6 py-5 flex flex-col gap-3 max-w-md"
        data-testid="signin"
        aria-labelledby="signin-title"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h1 id="signin-title" className="font-bold tracking-tight" style={{ fontSize: 18 }}>
          hop<span style={{ color: 'var(--st-loss)' }}>watch</span>: sign in
        </h1>
        <p className="muted">
          This hub shows a network&apos;s insides and asks who is looking. Open the login URL that{' '}
          <code className="mono">hopwatch start</code> or <code className="mono">hopwatch hub</code> printed (
          <code className="mono">http://HOST:PORT/?token=…</code>), or paste its token or one your team gave
          you.
        </p>
        <label className="flex flex-col gap-1">
          <span>access token</span>
          <input
            className="panel px-2 py-1 mono"
            type="password"
            autoComplete="current-password"
            data-testid="signin-token"
            value={token}
            onChange={(e) => setToken(e.currentTarget.value)}
          />
        </label>
        {error !== null && (
          <div className="st-loss" role="alert" data-testid="signin-error">
            {error}
          </div>
        )}
        <button
          type="submit"
          className="panel px-3 py-1 self-start font-semibold"
          data-testid="signin-submit"
          disabled={busy || token.trim() === ''}
        >
          sign in
        </button>
      </form>
    </div>
  );
}
