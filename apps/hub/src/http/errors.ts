import type { ErrorRequestHandler } from 'express';
import type { Logger } from '../log.ts';

/** Seconds a client told "unavailable" (503) waits before asking again. */
export const UNAVAILABLE_RETRY_S = 2;

/**
 * The last handler: errors as JSON `{ error }` in words, never express's default page, which
 * outside NODE_ENV=production is the stack trace with the hub's file paths. A client's mistake
 * (4xx: bad JSON, a body over the limit) says what it was; anything else is logged with its
 * stack and answered without it.
 */
export function jsonErrors(log: Logger): ErrorRequestHandler {
  return (err: Error & { status?: number; statusCode?: number; expose?: boolean }, req, res, next) => {
    if (res.headersSent) return next(err);
    const status = err.status ?? err.statusCode ?? 500;
    // A store that is down for now (a NATS cluster electing past the read's wait): said in
    // words, with when to ask again; the client's request was fine and will be again.
    if (status === 503 && err.expose) {
      log.warn(`${req.method} ${req.path}: ${err.message}`);
      res.setHeader('Retry-After', String(UNAVAILABLE_RETRY_S));
      res.status(503).json({ error: err.message });
      return;
    }
    if (status >= 500 || !err.expose) {
      log.error(`${req.method} ${req.path} failed: ${err.stack ?? err.message}`);
      res
        .status(status >= 400 ? status : 500)
        .json({ error: 'the hub failed to answer this request; its log says why' });
      return;
    }
    res.status(status).json({ error: err.message });
  };
}
