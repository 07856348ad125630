import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `Authorization: Bearer T` against the hub's agent token, in constant time. Both sides are
 * hashed first so the comparison is fixed-length and leaks neither the token nor its length.
 */
export function bearerMatches(expected: string, header: string | undefined): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  const given = m?.[1] ?? '';
  const same = timingSafeEqual(digest(expected), digest(given));
  return same && given.length > 0;
}

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/**
 * Browsers always send Origin on a WebSocket handshake and let any page open a socket to any
 * address, so without this check a web page the operator happens to visit could open
 * ws://127.0.0.1:7070/ws/ui and read the network's topology (cross-site WebSocket hijacking).
 * Allowed: no Origin (not a browser), the hub's own origin, loopback origins (a dev server on
 * another port), and origins listed with --allow-origin.
 */
export function originAllowed(
  origin: string | undefined,
  hostHeader: string | undefined,
  extra: readonly string[],
): boolean {
  if (origin === undefined) return true;
  if (extra.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (hostHeader !== undefined && url.host === hostHeader) return true;
  return LOOPBACK_HOSTNAMES.has(url.hostname);
}
