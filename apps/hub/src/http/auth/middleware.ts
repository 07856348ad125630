import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { HubAuth } from './auth.ts';
import { remoteOf } from './auth.ts';
import type { Principal } from './tokens.ts';

/** The custom header the app sends on every request that changes something (see crossSiteGuard). */
export const CSRF_HEADER = 'x-hopwatch';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Changes that any signed-in viewer may make: signing in and out. */
const SESSION_PATH = '/api/session';

export function principalOf(res: Response): Principal | null {
  return (res.locals.principal as Principal | null | undefined) ?? null;
}

function refuse(req: Request, res: Response, status: number, error: string): void {
  if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="hopwatch"');
  // originalUrl: inside a router mounted on /api, req.path has lost its /api.
  const path = req.originalUrl.split('?')[0]!;
  if (path.startsWith('/api/') || path === '/metrics') res.status(status).json({ error });
  else res.status(status).type('text/plain').send(`hopwatch hub: ${error}\n`);
}

/** Who is asking; decides nothing. */
export function identify(auth: HubAuth) {
  return (req: Request, res: Response, next: NextFunction) => {
    res.locals.principal = auth.identify(req);
    next();
  };
}

/**
 * DNS rebinding (hosts.ts). A valid bearer token is exempt: a browser never adds one by itself,
 * so whoever sends it is not a rebound page, and agents, Prometheus and the CLI may reach the hub
 * by any name. With authentication off nothing is exempt.
 */
export function hostGuard(auth: HubAuth) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (principalOf(res)?.via === 'bearer' || auth.hosts.hostAllowed(req.headers.host)) return next();
    refuse(
      req,
      res,
      403,
      `this hub is not "${req.headers.host ?? ''}": open it by ${auth.hosts.describe()} or an address, ` +
        'or start it with --public-url URL naming the host it is reached by',
    );
  };
}

/**
 * Cross-site request forgery: a change must come from the app itself. Browsers say where a
 * request comes from in Sec-Fetch-Site; one that does not say (older browsers, the CLI) must send
 * `X-Hopwatch: 1`, which no cross-site page can send without a CORS preflight the hub never
 * grants. An Origin, when sent, must be the hub's own.
 */
export function crossSiteGuard(auth: HubAuth) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const site = req.headers['sec-fetch-site'];
    const fromApp = site === 'same-origin' || (site === undefined && req.headers[CSRF_HEADER] === '1');
    if (!fromApp)
      return refuse(
        req,
        res,
        403,
        site === undefined
          ? `${req.method} needs the header "X-Hopwatch: 1" (cross-site request protection)`
          : `${req.method} from a ${site} page refused (cross-site request protection)`,
      );
    if (!auth.hosts.originAllowed(req.headers.origin, req.headers.host))
      return refuse(req, res, 403, `origin ${req.headers.origin} may not change anything here`);
    next();
  };
}

/** Everything under it needs a credential (viewer or better). */
export function requireSignedIn(req: Request, res: Response, next: NextFunction): void {
  if (principalOf(res) !== null) next();
  else
    refuse(
      req,
      res,
      401,
      'sign in first: send "Authorization: Bearer TOKEN", or open the login URL the hub printed at start',
    );
}

/**
 * viewer reads, operator changes: every method but GET/HEAD under /api needs operator, except
 * signing in and out. One rule here rather than one per route, so a new write route cannot be
 * left open to viewers by forgetting it.
 */
export function rolePolicy(req: Request, res: Response, next: NextFunction): void {
  const p = principalOf(res);
  const open = SAFE_METHODS.has(req.method) || req.originalUrl.split('?')[0] === SESSION_PATH;
  if (open || p?.role === 'operator') next();
  else
    refuse(
      req,
      res,
      403,
      `${p?.name ?? 'this user'} is a viewer: ${req.method} ${req.baseUrl}${req.path} needs an operator token`,
    );
}

/**
 * A recording file is gzip and nothing else. A form or a `no-cors` fetch from another site can
 * only send text/plain, multipart or urlencoded bodies, so this also closes that door.
 */
export function importContentType(req: Request, res: Response, next: NextFunction): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/gzip') next();
  else
    res.status(415).json({
      error: `POST /api/import takes a recording file as Content-Type: application/gzip, got "${type || 'none'}"`,
      imported: false,
    });
}

/**
 * /api/session: POST `{token}` (or Authorization: Bearer) signs a browser in with an HttpOnly,
 * SameSite=Strict cookie; GET says who is signed in; DELETE signs out.
 */
export function sessionRouter(auth: HubAuth): Router {
  const router = Router();
  const json = express.json({ limit: '4kb' });

  router.get('/session', (_req, res) => {
    const p = principalOf(res);
    if (p === null) return refuse(_req, res, 401, 'not signed in');
    res.json({ auth: auth.enabled ? 'on' : 'off', name: p.name, role: p.role, via: p.via });
  });

  router.post('/session', json, (req, res) => {
    if (!auth.enabled) return res.json({ auth: 'off', name: 'anyone', role: 'operator', via: 'none' });
    const body = (req.body ?? {}) as { token?: unknown };
    const token =
      typeof body.token === 'string'
        ? body.token.trim()
        : /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const remote = remoteOf(req);
    if (auth.failures.blocked(remote))
      return refuse(req, res, 429, 'too many wrong tokens from this address: wait a minute and try again');
    const entry = token ? auth.tokenPrincipal(token) : null;
    if (entry === null) {
      auth.failures.fail(remote);
      auth.logOnce('warn', `signin:${remoteOf(req)}`, `sign-in with a wrong token from ${remoteOf(req)}`);
      return refuse(req, res, 401, 'that token is not valid here');
    }
    const { id, session } = auth.sessions.create(entry.digest);
    const name = auth.sessionCookieName(req);
    const maxAge = Math.floor((session.expiresAt - Date.now()) / 1000);
    res.setHeader(
      'Set-Cookie',
      `${name}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}` +
        (name.startsWith('__Host-') ? '; Secure' : ''),
    );
    auth.log.info(`${entry.name} (${entry.role}) signed in from ${remoteOf(req)}`);
    res.json({
      auth: 'on',
      name: entry.name,
      role: entry.role,
      via: 'session',
      expiresAt: session.expiresAt,
    });
  });

  router.delete('/session', (req, res) => {
    const sid = auth.sessionId(req);
    if (sid !== null) {
      auth.sessions.delete(sid);
      auth.sockets.sweep();
    }
    const name = auth.sessionCookieName(req);
    res.setHeader(
      'Set-Cookie',
      `${name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${name.startsWith('__Host-') ? '; Secure' : ''}`,
    );
    res.status(204).end();
  });

  return router;
}
