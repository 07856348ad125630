import type { IncomingMessage } from 'node:http';
import type { HubAuth } from './auth.ts';

export interface UpgradeRefusal {
  status: 401 | 403;
  reason: 'bad_host' | 'bad_origin' | 'no_credential';
  text: string;
}

/**
 * /ws/ui: the same rules as the HTTP API. Browsers send Origin on every WebSocket handshake and
 * let any page open a socket anywhere, so the Origin must be the hub's own page (or
 * --allow-origin) as well as the Host the hub's own name (rebinding), and a credential is needed
 * (the cookie rides along on a same-site handshake; other clients send the bearer token).
 */
export function checkUiUpgrade(auth: HubAuth, req: IncomingMessage): UpgradeRefusal | null {
  const who = auth.identify(req);
  if (who?.via !== 'bearer' && !auth.hosts.hostAllowed(req.headers.host))
    return {
      status: 403,
      reason: 'bad_host',
      text: `host ${req.headers.host ?? '(none)'} is not this hub's name`,
    };
  if (!auth.hosts.originAllowed(req.headers.origin, req.headers.host))
    return { status: 403, reason: 'bad_origin', text: `origin ${req.headers.origin} may not open /ws/ui` };
  if (who === null)
    return {
      status: 401,
      reason: 'no_credential',
      text: 'sign in first (session cookie or Authorization: Bearer TOKEN)',
    };
  return null;
}
