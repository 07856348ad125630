import type { Express } from 'express';
import type { HubAuth } from './auth.ts';
import { securityHeaders } from './headers.ts';
import {
  crossSiteGuard,
  hostGuard,
  identify,
  importContentType,
  requireSignedIn,
  rolePolicy,
  sessionRouter,
} from './middleware.ts';

/**
 * The hub's doors, in order, before any route: security headers on every answer; who is asking;
 * the Host (DNS rebinding); where a change comes from (CSRF); sign-in at /api/session; then a
 * credential for everything under /api and /metrics, and operator for changes. /healthz and the
 * app shell (index.html and its assets) stay open: they hold nothing but the sign-in screen.
 */
export function mountAuth(app: Express, auth: HubAuth): void {
  app.use(securityHeaders);
  app.use(identify(auth));
  app.use(hostGuard(auth));
  app.use(crossSiteGuard(auth));
  app.use('/api', sessionRouter(auth));
  app.use(['/api', '/metrics'], requireSignedIn);
  app.use('/api', rolePolicy);
  app.post('/api/import', importContentType);
}
