/**
 * `--netns` patterns: comma-separated globs (`*`, `?`) over namespace names. The host's own
 * namespace has the empty name, which no glob matches; the pattern `@host` selects it.
 */
export const HOST_PATTERN = '@host';

export function netnsMatcher(globs: string | null | undefined): (name: string) => boolean {
  if (globs === null || globs === undefined || globs.trim() === '') return () => true;
  const patterns = globs
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  const host = patterns.includes(HOST_PATTERN);
  const res = patterns.filter((p) => p !== HOST_PATTERN).map(globToRegExp);
  return (name) => (name === '' ? host : res.some((re) => re.test(name)));
}

function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const c of glob) {
    if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else src += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}
