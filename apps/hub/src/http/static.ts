import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';

/** Defined as `true` only inside dist/hopwatch.mjs (scripts/build-dist.mjs). */
declare const HOPWATCH_BUNDLE_LAYOUT: boolean | undefined;

/**
 * From source: apps/web/dist, next to this workspace (`npm run build -w @hopwatch/web` writes it).
 * In the bundle (the npm package, `npm start`): dist/web, beside dist/hopwatch.mjs.
 */
export const DEFAULT_WEB_DIST = fileURLToPath(
  new URL(typeof HOPWATCH_BUNDLE_LAYOUT !== 'undefined' ? './web' : '../../../web/dist', import.meta.url),
);

const NOT_BUILT = `<!doctype html>
<meta charset="utf-8"><title>hopwatch hub</title>
<body style="font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>The hub is running; the web app is not built</h1>
<p>Build it once with <code>npm run build -w @hopwatch/web</code> (or start with <code>npm start</code>,
which builds it first), then reload this page.</p>
<p>Meanwhile: <a href="/api/hosts">/api/hosts</a>, <a href="/metrics">/metrics</a>,
<a href="/healthz">/healthz</a>.</p>
</body>`;

/**
 * The built web app, with SPA fallback: any other GET answers index.html so a pasted
 * `/?host=…&t=…` or a deep path opens the app. Checked per request, so building while the hub
 * runs works without a restart.
 */
export function webApp(dist: string): Router {
  const router = express.Router();
  router.use(express.static(dist, { index: 'index.html', fallthrough: true }));
  router.get('/{*path}', (_req, res) => {
    const index = join(dist, 'index.html');
    if (existsSync(index)) res.sendFile(index);
    else res.status(503).type('html').send(NOT_BUILT);
  });
  return router;
}
