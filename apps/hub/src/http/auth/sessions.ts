import { randomBytes } from 'node:crypto';
import { digest } from './tokens.ts';

/** A browser signs in for this long; then the app shows the sign-in screen again. */
export const DEFAULT_SESSION_TTL_MS = 12 * 3600_000;
/**
 * Sessions kept at most; the oldest goes first. Signing in needs a valid token, so only someone
 * who has one can fill this; the cap keeps even them from growing the hub without bound.
 */
export const MAX_SESSIONS = 10_000;

export interface Session {
  /** SHA-256 of the token the session was made from: revoking the token ends the session. */
  credential: Buffer;
  expiresAt: number;
}

/**
 * Browser sessions, in memory: a restarted hub asks everyone to sign in again, which is the
 * safe default for a tool that shows a network's insides. The cookie carries 256 random bits;
 * the map is keyed by their SHA-256, so a memory dump does not hold usable cookies.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    readonly ttlMs: number = DEFAULT_SESSION_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  create(credential: Buffer): { id: string; session: Session } {
    const id = randomBytes(32).toString('base64url');
    const session = { credential, expiresAt: this.now() + this.ttlMs };
    this.sessions.set(digest(id).toString('hex'), session);
    if (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    return { id, session };
  }

  get(id: string): Session | null {
    const key = digest(id).toString('hex');
    const s = this.sessions.get(key);
    if (!s) return null;
    if (s.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return null;
    }
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(digest(id).toString('hex'));
  }

  /** Drops expired sessions and those whose token is gone (after a tokens-file reload). */
  prune(stillValid: (credential: Buffer) => boolean): number {
    const t = this.now();
    let n = 0;
    for (const [k, s] of this.sessions) {
      if (s.expiresAt <= t || !stillValid(s.credential)) {
        this.sessions.delete(k);
        n += 1;
      }
    }
    return n;
  }
}
