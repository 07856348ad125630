import type { NextFunction, Request, Response } from 'express';

/**
 * The built app needs nothing from elsewhere: scripts, styles, workers and sockets are its own
 * origin's; the only data: URL is the favicon. No inline script or style elements, no eval (zod
 * runs jitless in the app for this: apps/web/src/auth/csp.ts). frame-ancestors 'none' with
 * X-Frame-Options for older browsers: the app is never framed (clickjacking).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Answers that carry data: never kept by a browser or a shared proxy cache. */
const NO_STORE = /^\/(api|metrics|healthz)(\/|$)/;

export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  if (NO_STORE.test(req.path)) res.setHeader('Cache-Control', 'no-store');
  next();
}
