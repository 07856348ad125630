import { describe, expect, it } from 'vitest';
import { takeToken } from '../src/auth/session.ts';

/** Just what takeToken touches of a Window. */
function fakeWindow(href: string) {
  const url = new URL(href);
  const replaced: string[] = [];
  const win = {
    location: { search: url.search, pathname: url.pathname, hash: url.hash },
    history: { state: { k: 1 }, replaceState: (_s: unknown, _t: string, u: string) => replaced.push(u) },
  };
  return { win: win as unknown as Window, replaced };
}

describe('the login URL', () => {
  it('gives its token once and leaves the address bar without it, the rest of the view untouched', () => {
    const { win, replaced } = fakeWindow(
      'http://127.0.0.1:7070/?host=vm&token=abc-DEF_123&t=2026-12-06T06:00:00.000Z#x',
    );
    expect(takeToken(win)).toBe('abc-DEF_123');
    expect(replaced).toEqual(['/?host=vm&t=2026-12-06T06:00:00.000Z#x']);
  });

  it('leaves a URL without a token alone', () => {
    const { win, replaced } = fakeWindow('http://127.0.0.1:7070/?host=vm');
    expect(takeToken(win)).toBeNull();
    expect(replaced).toEqual([]);
  });

  it('a token-only login URL becomes the bare app URL', () => {
    const { win, replaced } = fakeWindow('http://127.0.0.1:7070/?token=t0k3n');
    expect(takeToken(win)).toBe('t0k3n');
    expect(replaced).toEqual(['/']);
  });
});
