import { existsSync } from 'node:fs';
import { extname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler, type Router } from 'express';

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
  const assets = join(dist, 'assets');
  router.use('/assets', precompressed(assets));
  router.use(
    express.static(dist, {
      index: 'index.html',
      fallthrough: true,
      setHeaders: (res, path) => {
        // Under dist/assets only (a dist that itself sits under some …/assets/… is not all hashed).
        if (!path.startsWith(assets + sep)) return;
        res.setHeader('Cache-Control', IMMUTABLE);
        res.setHeader('Vary', 'Accept-Encoding');
      },
    }),
  );
  router.get('/{*path}', (_req, res) => {
    const index = join(dist, 'index.html');
    if (existsSync(index)) res.sendFile(index);
    else res.status(503).type('html').send(NOT_BUILT);
  });
  return router;
}

/**
 * Build output under assets/ is named by its content hash (vite): a browser may keep it for good,
 * and a reload asks for none of it again.
 */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/** The twins the web build writes beside each script and stylesheet (apps/web/vite.config.ts). */
const TWINS = [
  ['br', '.br'],
  ['gzip', '.gz'],
] as const;

/**
 * A script or stylesheet as its precompressed twin, when the browser takes that encoding: the
 * app's first chunk goes at about a quarter of its size (apps/web/README.md § Speed), compressed once at build time
 * instead of per request (or not at all, as express.static does). Anything else, or no twin,
 * falls through to express.static.
 */
function precompressed(assets: string): RequestHandler {
  return (req, res, next) => {
    // Flat, hashed names only (no path to walk out of assets/).
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !/^\/[\w.-]+\.(?:js|css)$/.test(req.path))
      return next();
    for (const [encoding, ext] of TWINS) {
      const file = join(assets, req.path.slice(1) + ext);
      if (req.acceptsEncodings(encoding) !== encoding || !existsSync(file)) continue;
      res.setHeader('Content-Encoding', encoding);
      res.setHeader('Vary', 'Accept-Encoding');
      // The original's type, not the twin's (send() keeps a type already set).
      res.type(extname(req.path));
      res.setHeader('Cache-Control', IMMUTABLE); // send() keeps a Cache-Control already set
      res.sendFile(file, (err) => {
        if (err && !res.headersSent) next(err);
      });
      return;
    }
    next();
  };
}
