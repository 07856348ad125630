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
