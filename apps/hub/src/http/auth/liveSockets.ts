import { CLOSE } from '@hopwatch/shared';

/** What the guard needs of a browser's WebSocket. */
export interface Closable {
  close(code: number, reason: string): void;
  once(event: 'close', listener: () => void): unknown;
}

/** How often open browser sockets are checked against sessions that expire on their own. */
export const SOCKET_RECHECK_MS = 60_000;

/**
 * A credential is checked when a browser's socket opens, and the socket then streams for days.
 * Signing out, a token removed from the tokens file or an expired session must end the stream
 * too: every open socket keeps a check of what it was opened with, run on each of those events
 * (and every minute, for expiry). A socket that fails it is closed with CLOSE.badToken; the app
 * reconnects, is refused, and shows the sign-in screen.
 */
export class LiveSockets {
  private readonly open = new Map<Closable, () => boolean>();
  /** Started with the first socket: a hub that never serves a browser keeps no timer. */
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly intervalMs: number = SOCKET_RECHECK_MS) {}

  get size(): number {
    return this.open.size;
  }

  add(ws: Closable, stillValid: () => boolean): void {
    if (this.timer === null) {
      this.timer = setInterval(() => this.sweep(), this.intervalMs);
      this.timer.unref();
    }
    this.open.set(ws, stillValid);
    ws.once('close', () => this.open.delete(ws));
  }

  /** Closes the sockets whose credential no longer holds; returns how many. */
  sweep(): number {
    let n = 0;
    for (const [ws, stillValid] of this.open) {
      if (stillValid()) continue;
      this.open.delete(ws);
      ws.close(CLOSE.badToken, 'signed out: the session ended or its token was revoked');
      n += 1;
    }
    return n;
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
