import type { AuthOptions } from '../../src/http/auth/auth.ts';

/** The operator token of test hubs: tests of everything but authentication talk as the operator. */
export const TEST_ACCESS_TOKEN = 'test-access-token-0123456789';
export const TEST_AUTH: AuthOptions = { accessToken: TEST_ACCESS_TOKEN };

/** Headers a non-browser client sends: the bearer token, and the custom header changes need. */
export function authHeaders(token: string = TEST_ACCESS_TOKEN): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'x-hopwatch': '1' };
}

/**
 * fetch as a signed-in operator (bearer token, `X-Hopwatch: 1`). Test files import it as
 * `fetch` so their requests read as before; test/auth.test.ts uses the global fetch to play
 * everyone else.
 */
export function fetchAs(token: string = TEST_ACCESS_TOKEN) {
  return (url: string | URL, init: RequestInit = {}): Promise<Response> =>
    globalThis.fetch(url, {
      ...init,
      headers: { ...authHeaders(token), ...(init.headers as Record<string, string>) },
    });
}

export const authedFetch = fetchAs();
