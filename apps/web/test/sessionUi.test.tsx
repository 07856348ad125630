// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthOffBanner, SessionMenu } from '../src/auth/SessionMenu.tsx';
import { bootSession } from '../src/auth/session.ts';
import { Recordings } from '../src/replay/Recordings.tsx';

/** The app at start, with the hub answering GET /api/session as given. */
async function bootAs(body: object, status = 200) {
  vi.stubGlobal(
    'fetch',
    vi.fn(async () => new Response(JSON.stringify(body), { status })),
  );
  return bootSession(window);
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('what the app shows for who is signed in', () => {
  it('a viewer sees no operator action (mark, rename, delete) and can still export', async () => {
    expect(await bootAs({ auth: 'on', name: 'alice', role: 'viewer', via: 'session' })).toMatchObject({
      kind: 'in',
    });
    render(<Recordings />);
    expect(screen.queryByTestId('mark-open')).toBeNull();
    render(<SessionMenu />);
    expect(screen.getByTestId('session').textContent).toContain('alice · viewer');
  });

  it('an operator gets the mark button and a sign-out', async () => {
    await bootAs({ auth: 'on', name: 'admin', role: 'operator', via: 'session' });
    render(<Recordings />);
    expect(screen.getByTestId('mark-open')).toBeTruthy();
    render(<SessionMenu />);
    expect(screen.getByTestId('signout')).toBeTruthy();
  });

  it('with authentication off, every screen says so', async () => {
    await bootAs({ auth: 'off', name: 'anyone', role: 'operator', via: 'none' });
    render(<AuthOffBanner />);
    expect(screen.getByTestId('auth-off').textContent).toMatch(/Authentication is off/);
  });

  it('no session (401): the sign-in screen, not the app', async () => {
    expect(await bootAs({ error: 'not signed in' }, 401)).toEqual({ kind: 'out', reason: null });
  });
});
