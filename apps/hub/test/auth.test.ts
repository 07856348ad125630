import { lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadOrCreateAccessToken } from '../src/http/auth/accessToken.ts';
import type { AuthOptions } from '../src/http/auth/auth.ts';
import { parseTokensFile, TokensFileError } from '../src/http/auth/tokens.ts';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { TEST_ACCESS_TOKEN } from './helpers/auth.ts';
import { FakeBrowser } from './helpers/clients.ts';
import { type HubProcess, spawnHub } from './helpers/hubProcess.ts';
import { cookieOf, raw } from './helpers/raw.ts';
import { haveOpenssl, selfSignedCert } from './helpers/tlsCert.ts';

/**
 * AUTH1..AUTH10 (apps/hub/README.md, "Authentication"): who may use the hub, and the browser
 * attacks it refuses. Requests go through node:http (helpers/raw.ts) so the tests can send what
 * a hostile page's browser would: any Host, Origin and Sec-Fetch-Site.
 */

const VIEWER_TOKEN = 'viewer-token-0123456789abcdef';
const OPERATOR2_TOKEN = 'operator-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'hwt-auth-'));
const hubs: Hub[] = [];
const browsers: FakeBrowser[] = [];
const children: HubProcess[] = [];

afterEach(async () => {
  for (const b of browsers.splice(0)) b.close();
  await Promise.all(hubs.splice(0).map((h) => h.close()));
  for (const c of children.splice(0)) c.child.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tokensFile(text: string): string {
  const f = join(dir, `tokens-${Math.random().toString(36).slice(2)}`);
  writeFileSync(f, text, { mode: 0o600 });
  return f;
}

async function hub(auth: AuthOptions = {}, over: Partial<Parameters<typeof startHub>[0]> = {}): Promise<Hub> {
  const h = await startHub({
    port: 0,
    db: ':memory:',
    agentToken: null,
    log: silentLogger,
    auth: { accessToken: TEST_ACCESS_TOKEN, ...auth },
    ...over,
  });
  hubs.push(h);
  return h;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
/** What the app sends on a change (Chromium adds Sec-Fetch-Site; the app adds X-Hopwatch). */
const FROM_APP = { 'sec-fetch-site': 'same-origin', 'x-hopwatch': '1' };

/** A concrete path for a route pattern: every parameter gets a harmless value. */
const concrete = (path: string) => path.replace(/\{\*\w+\}/g, 'some/deep/path').replace(/:\w+/g, 'x');

async function signIn(h: Hub, token = TEST_ACCESS_TOKEN): Promise<string> {
  const res = await raw(
    h.url,
    'POST',
    '/api/session',
    { 'content-type': 'application/json', ...FROM_APP },
    JSON.stringify({ token }),
  );
  expect(res.status).toBe(200);
  return cookieOf(res);
}

function uiSocket(h: Hub, headers: Record<string, string>, token: string | null = null): FakeBrowser {
  const b = new FakeBrowser(h.url, { token, headers });
  browsers.push(b);
  return b;
}

/**
 * Routes open to anyone: the health check, the app shell (index.html, assets, SPA fallback) and
 * signing out (it only forgets a session, and needs none).
 */
const OPEN_ROUTES = new Set(['GET /healthz', 'GET /{*path}', 'DELETE /api/session']);

describe('AUTH1: every route but /healthz and the app shell needs a credential', () => {
  it('answers 401 without one, on every route the router has (and unknown /api paths)', async () => {
    const h = await hub();
    const routes = h.routes();
    expect(routes.length).toBeGreaterThan(10);
    const open: string[] = [];
    for (const r of [
      ...routes,
      { method: 'GET', path: '/api/nope' },
      { method: 'GET', path: '/metrics?host=x' },
    ]) {
      const key = `${r.method} ${r.path}`;
      // X-Hopwatch so that no change is refused for being cross-site: the credential is what is missing.
      const res = await raw(h.url, r.method, concrete(r.path), {
        'x-hopwatch': '1',
        'content-type': 'application/gzip',
      });
      if (OPEN_ROUTES.has(key)) {
        open.push(key);
        expect([200, 204, 503], key).toContain(res.status);
      } else {
        expect(res.status, key).toBe(401);
        expect(res.headers['www-authenticate'], key).toMatch(/^Bearer/);
      }
    }
    expect(open.sort()).toEqual([...OPEN_ROUTES].sort());
  });

  it('refuses /ws/ui without a credential (401) and opens it with the bearer token', async () => {
    const h = await hub();
    expect(await uiSocket(h, {}).refused).toBe(401);
    expect(await uiSocket(h, {}, 'not-the-token-at-all').refused).toBe(401);
    await uiSocket(h, {}, TEST_ACCESS_TOKEN).opened;
    expect(h.core.counters.refused.get('no_credential')).toBe(2);
  });

  it('/metrics takes the bearer token (Prometheus authorization: credentials)', async () => {
    const h = await hub();
    const res = await raw(h.url, 'GET', '/metrics', bearer(TEST_ACCESS_TOKEN));
    expect(res.status).toBe(200);
    expect(res.body).toContain('hopwatch_agents_connected');
  });
});

describe('AUTH2: a browser signs in with the token and gets a session cookie', () => {
  it('sets an HttpOnly SameSite=Strict cookie that opens the API and /ws/ui; sign-out ends it', async () => {
    const h = await hub();
    const res = await raw(
      h.url,
      'POST',
      '/api/session',
      { 'content-type': 'application/json', ...FROM_APP },
      JSON.stringify({ token: TEST_ACCESS_TOKEN }),
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ auth: 'on', name: 'admin', role: 'operator' });
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(
      new RegExp(`^hopwatch_session_${h.port}=[\\w-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=\\d+$`),
    );
    const cookie = cookieOf(res);

    expect((await raw(h.url, 'GET', '/api/hosts', { cookie })).status).toBe(200);
    expect(JSON.parse((await raw(h.url, 'GET', '/api/session', { cookie })).body)).toMatchObject({
      name: 'admin',
      role: 'operator',
      via: 'session',
    });
    await uiSocket(h, { cookie, origin: h.url }).opened;

    expect((await raw(h.url, 'DELETE', '/api/session', { cookie, ...FROM_APP })).status).toBe(204);
    expect((await raw(h.url, 'GET', '/api/hosts', { cookie })).status).toBe(401);
    expect(await uiSocket(h, { cookie, origin: h.url }).refused).toBe(401);
  });

  it('refuses a wrong token, and a session past its lifetime', async () => {
    const h = await hub({ sessionTtlMs: 200 });
    const wrong = await raw(
      h.url,
      'POST',
      '/api/session',
      { 'content-type': 'application/json', ...FROM_APP },
      JSON.stringify({ token: `${TEST_ACCESS_TOKEN}x` }),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    const cookie = await signIn(h);
    expect((await raw(h.url, 'GET', '/api/hosts', { cookie })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect((await raw(h.url, 'GET', '/api/hosts', { cookie })).status).toBe(401);
  });

  it('an address that sent too many wrong tokens gets no answer to any token until the window ends', async () => {
    const h = await hub({ failureLimit: { max: 3, windowMs: 400 } });
    const signInWith = (token: string) =>
      raw(
        h.url,
        'POST',
        '/api/session',
        { 'content-type': 'application/json', ...FROM_APP },
        JSON.stringify({ token }),
      );
    for (let i = 0; i < 3; i++) expect((await signInWith(`wrong-token-${i}-0123456789`)).status).toBe(401);
    // The right token now is not even confirmed: neither by sign-in nor as a bearer token.
    expect((await signInWith(TEST_ACCESS_TOKEN)).status).toBe(429);
    expect((await raw(h.url, 'GET', '/api/hosts', bearer(TEST_ACCESS_TOKEN))).status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    expect((await signInWith(TEST_ACCESS_TOKEN)).status).toBe(200);
  });

  it.skipIf(!haveOpenssl())('a hub serving https itself sets a __Host- Secure cookie', async () => {
    const h = await hub({}, { tls: selfSignedCert(dir) });
    const set = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest(
        `${h.url}/api/session`,
        {
          method: 'POST',
          rejectUnauthorized: false,
          headers: { ...bearer(TEST_ACCESS_TOKEN), ...FROM_APP },
        },
        (res) => {
          res.resume();
          resolve(String(res.headers['set-cookie']));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(set).toMatch(
      new RegExp(
        `^__Host-hopwatch_session_${h.port}=[\\w-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=\\d+; Secure$`,
      ),
    );
  });

  it('marks the cookie Secure (and __Host-) when the hub is reached over https', async () => {
    const h = await hub({ publicUrl: 'https://127.0.0.1' });
    const res = await raw(
      h.url,
      'POST',
      '/api/session',
      { 'content-type': 'application/json', ...FROM_APP },
      JSON.stringify({ token: TEST_ACCESS_TOKEN }),
    );
    expect(String(res.headers['set-cookie'])).toMatch(/^__Host-hopwatch_session_\d+=.*; Secure$/);
  });
});

describe('AUTH2: an open /ws/ui ends with what opened it', () => {
  const closed = (b: FakeBrowser) =>
    new Promise<number>((resolve) => b.ws.on('close', (code) => resolve(code)));

  it('signing out closes the browser sockets of that session (4001), not those of others', async () => {
    const h = await hub();
    const mine = await signIn(h);
    const theirs = await signIn(h);
    const a = uiSocket(h, { cookie: mine, origin: h.url });
    const b = uiSocket(h, { cookie: theirs, origin: h.url });
    await Promise.all([a.opened, b.opened]);
    const aClosed = closed(a);
    expect((await raw(h.url, 'DELETE', '/api/session', { cookie: mine, ...FROM_APP })).status).toBe(204);
    expect(await aClosed).toBe(4001);
    expect(b.ws.readyState).toBe(b.ws.OPEN);
    expect(h.auth.sockets.size).toBe(1);
  });

  it('a token removed from the tokens file closes the sockets it opened, by bearer or by session', async () => {
    const file = tokensFile(`viewer alice ${VIEWER_TOKEN}\noperator bob ${OPERATOR2_TOKEN}\n`);
    const h = await hub({ tokensFile: file });
    const byBearer = uiSocket(h, {}, VIEWER_TOKEN);
    const bySession = uiSocket(h, { cookie: await signIn(h, VIEWER_TOKEN), origin: h.url });
    const bob = uiSocket(h, {}, OPERATOR2_TOKEN);
    await Promise.all([byBearer.opened, bySession.opened, bob.opened]);
    const gone = [closed(byBearer), closed(bySession)];
    writeFileSync(file, `operator bob ${OPERATOR2_TOKEN}\n`);
    expect(h.auth.reload().ok).toBe(true);
    expect(await Promise.all(gone)).toEqual([4001, 4001]);
    expect(bob.ws.readyState).toBe(bob.ws.OPEN);
  });
});

describe('AUTH3: viewers read, operators change', () => {
  it('a viewer token gets 403 on every change the router has, and reads everything', async () => {
    const h = await hub({ tokensFile: tokensFile(`viewer alice ${VIEWER_TOKEN}\n`) });
    const changes = h.routes().filter((r) => r.method !== 'GET' && r.path !== '/api/session');
    expect(changes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining([
        'POST /api/recordings',
        'PATCH /api/recordings/:id',
        'DELETE /api/recordings/:id',
        'POST /api/import',
      ]),
    );
    for (const r of changes) {
      const res = await raw(h.url, r.method, concrete(r.path), {
        ...bearer(VIEWER_TOKEN),
        ...FROM_APP,
        'content-type': 'application/gzip',
      });
      expect(res.status, `${r.method} ${r.path}`).toBe(403);
      expect(JSON.parse(res.body).error).toMatch(/alice is a viewer/);
    }
    for (const path of ['/api/hosts', '/api/recordings', '/api/replay', '/metrics'])
      expect((await raw(h.url, 'GET', path, bearer(VIEWER_TOKEN))).status, path).toBe(200);
    // The same through a session cookie.
    const cookie = await signIn(h, VIEWER_TOKEN);
    const mark = { name: 'x', start: 1, end: 2 };
    const res = await raw(
      h.url,
      'POST',
      '/api/recordings',
      { cookie, ...FROM_APP, 'content-type': 'application/json' },
      JSON.stringify(mark),
    );
    expect(res.status).toBe(403);
  });

  it('an operator from the tokens file may change things', async () => {
    const h = await hub({ tokensFile: tokensFile(`# the on-call team\noperator bob ${OPERATOR2_TOKEN}\n`) });
    const res = await raw(
      h.url,
      'POST',
      '/api/recordings',
      { ...bearer(OPERATOR2_TOKEN), ...FROM_APP, 'content-type': 'application/json' },
      JSON.stringify({ name: 'INC-1', start: 1000, end: 2000 }),
    );
    expect(res.status).toBe(201);
  });
});

describe('AUTH4: DNS rebinding, foreign origins', () => {
  it('refuses Host: evil.example even with a valid session cookie (API, shell, /ws/ui)', async () => {
    const h = await hub();
    const cookie = await signIn(h);
    const evil = { cookie, host: `evil.example:${h.port}` };
    expect((await raw(h.url, 'GET', '/api/hosts', evil)).status).toBe(403);
    expect((await raw(h.url, 'GET', '/metrics', evil)).status).toBe(403);
    expect((await raw(h.url, 'GET', '/', evil)).status).toBe(403);
    expect(await uiSocket(h, { ...evil, origin: `http://evil.example:${h.port}` }).refused).toBe(403);
    // The hub's own names and addresses are fine.
    for (const host of [`127.0.0.1:${h.port}`, `localhost:${h.port}`, `[::1]:${h.port}`])
      expect((await raw(h.url, 'GET', '/api/hosts', { cookie, host })).status, host).toBe(200);
  });

  it('refuses Origin: http://evil.example on changes and on /ws/ui, even with a valid cookie', async () => {
    const h = await hub();
    const cookie = await signIn(h);
    const res = await raw(
      h.url,
      'POST',
      '/api/recordings',
      { cookie, 'x-hopwatch': '1', origin: 'http://evil.example', 'content-type': 'application/json' },
      JSON.stringify({ name: 'x', start: 1, end: 2 }),
    );
    expect(res.status).toBe(403);
    expect(await uiSocket(h, { cookie, origin: 'http://evil.example' }).refused).toBe(403);
    expect(await uiSocket(h, { cookie, origin: 'http://localhost:8080' }).refused).toBe(403);
  });

  it('--public-url adds its name; a valid bearer token is not a rebound page and may use any name', async () => {
    const h = await hub({ publicUrl: 'https://hopwatch.example.org' });
    const cookie = await signIn(h);
    expect((await raw(h.url, 'GET', '/api/hosts', { cookie, host: 'hopwatch.example.org' })).status).toBe(
      200,
    );
    expect((await raw(h.url, 'GET', '/api/hosts', { cookie, host: 'evil.example' })).status).toBe(403);
    const scrape = { ...bearer(TEST_ACCESS_TOKEN), host: 'hub.internal:7070' };
    expect((await raw(h.url, 'GET', '/metrics', scrape)).status).toBe(200);
    // A wrong bearer token buys nothing: 403 for the name (or 401), never the data.
    expect(
      (await raw(h.url, 'GET', '/api/hosts', { ...bearer('wrong-token-0123456789'), host: 'evil.example' }))
        .status,
    ).toBe(403);
  });
});

describe('AUTH5: cross-site changes are refused', () => {
  it('a cross-site import (Sec-Fetch-Site: cross-site, text/plain) is refused before anything is read', async () => {
    const h = await hub();
    const cookie = await signIn(h);
    const body = 'not a recording';
    const crossSite = await raw(
      h.url,
      'POST',
      '/api/import',
      { cookie, 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' },
      body,
    );
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.body).error).toMatch(/cross-site/);
    // Same-origin but text/plain (what a no-cors fetch or a form can send): 415.
    const plain = await raw(
      h.url,
      'POST',
      '/api/import',
      { cookie, ...FROM_APP, 'content-type': 'text/plain' },
      body,
    );
    expect(plain.status).toBe(415);
    // No Sec-Fetch-Site (an old browser) and no X-Hopwatch header: refused.
    const bare = await raw(
      h.url,
      'POST',
      '/api/import',
      { cookie, 'content-type': 'application/gzip' },
      body,
    );
    expect(bare.status).toBe(403);
    for (const site of ['same-site', 'none']) {
      const res = await raw(h.url, 'DELETE', '/api/recordings/x', {
        cookie,
        'sec-fetch-site': site,
        'x-hopwatch': '1',
      });
      expect(res.status, site).toBe(403);
    }
    expect(h.store.stats().chunks).toBe(0);
  });
});

describe('AUTH6: the tokens file', () => {
  it('refuses bad lines, each with its number', () => {
    const text = [
      '# team tokens',
      `viewer alice ${VIEWER_TOKEN}`,
      'admin carol carol-token-0123456789',
      `operator bob short`,
      '',
      `viewer dave ${VIEWER_TOKEN}`,
      'operator',
    ].join('\n');
    let err: TokensFileError | undefined;
    try {
      parseTokensFile(text, 'team.tokens');
    } catch (e) {
      err = e as TokensFileError;
    }
    expect(err).toBeInstanceOf(TokensFileError);
    expect(err!.problems).toEqual([
      'line 3: role must be viewer or operator, got "admin"',
      'line 4: a token needs at least 16 characters',
      'line 6: the same token appears twice',
      'line 7: expected "ROLE NAME TOKEN", got 1 field(s)',
    ]);
    expect(parseTokensFile(`  viewer alice ${VIEWER_TOKEN}   # trailing comment\r\n`)).toHaveLength(1);
  });

  it('a hub refuses to start with a bad tokens file', async () => {
    await expect(hub({ tokensFile: tokensFile('viewer\n') })).rejects.toThrow(/line 1/);
  });

  it('is re-read on SIGHUP: new tokens work, removed ones and their sessions stop; a bad file changes nothing', async () => {
    const file = tokensFile(`viewer alice ${VIEWER_TOKEN}\n`);
    const db = join(dir, 'hup.db');
    const h = await spawnHub(['--port', '0', '--db', db, '--tokens-file', file]);
    children.push(h);
    const get = (token: string) => raw(h.url, 'GET', '/api/hosts', bearer(token)).then((r) => r.status);
    expect(await get(VIEWER_TOKEN)).toBe(200);
    expect(await get(OPERATOR2_TOKEN)).toBe(401);
    const aliceSession = (await raw(h.url, 'POST', '/api/session', { ...bearer(VIEWER_TOKEN), ...FROM_APP }))
      .headers['set-cookie'];
    const cookie = String(aliceSession).split(';')[0]!;

    writeFileSync(file, `operator bob ${OPERATOR2_TOKEN}\n`);
    h.child.kill('SIGHUP');
    await vi.waitFor(async () => expect(await get(OPERATOR2_TOKEN)).toBe(200), { timeout: 5000 });
    expect(await get(VIEWER_TOKEN)).toBe(401);
    expect((await raw(h.url, 'GET', '/api/hosts', { cookie })).status).toBe(401);
    // The printed operator token is not in the file and stays valid.
    expect(await get(h.token!)).toBe(200);

    writeFileSync(file, `operator bob ${OPERATOR2_TOKEN}\nviewer\n`);
    h.child.kill('SIGHUP');
    await vi.waitFor(() => expect(h.stderr()).toMatch(/not reloaded.*line 2/), { timeout: 5000 });
    expect(await get(OPERATOR2_TOKEN)).toBe(200);
    expect(h.child.exitCode).toBeNull();
  }, 30_000);
});

describe('AUTH7: an authenticating proxy', () => {
  const proxy = (trusted: string[], more: Partial<NonNullable<AuthOptions['proxy']>> = {}) =>
    hub({ proxy: { header: 'X-Forwarded-User', trusted, ...more } });

  it('ignores the user header from peers that are not --trusted-proxy', async () => {
    const h = await proxy(['10.0.0.0/8', '2001:db8::/32']);
    const res = await raw(h.url, 'GET', '/api/hosts', { 'x-forwarded-user': 'mallory' });
    expect(res.status).toBe(401);
    expect(await uiSocket(h, { 'x-forwarded-user': 'mallory' }).refused).toBe(401);
  });

  it('believes it from a trusted proxy: viewer by default, the role header when it says operator', async () => {
    const h = await proxy(['127.0.0.0/8', '::1'], { roleHeader: 'X-Forwarded-Role' });
    const who = await raw(h.url, 'GET', '/api/session', { 'x-forwarded-user': 'alice@example.org' });
    expect(JSON.parse(who.body)).toMatchObject({ name: 'alice@example.org', role: 'viewer', via: 'proxy' });
    const mark = JSON.stringify({ name: 'x', start: 1, end: 2 });
    const json = { 'content-type': 'application/json', ...FROM_APP };
    const asViewer = await raw(
      h.url,
      'POST',
      '/api/recordings',
      { 'x-forwarded-user': 'alice', ...json },
      mark,
    );
    expect(asViewer.status).toBe(403);
    const asAdmin = await raw(
      h.url,
      'POST',
      '/api/recordings',
      { 'x-forwarded-user': 'bob', 'x-forwarded-role': 'admin', ...json },
      mark,
    );
    expect(asAdmin.status).toBe(403);
    const asOperator = await raw(
      h.url,
      'POST',
      '/api/recordings',
      { 'x-forwarded-user': 'carol', 'x-forwarded-role': 'operator', ...json },
      mark,
    );
    expect(asOperator.status).toBe(201);
  });
});

describe('AUTH8: the operator token beside the database', () => {
  it('is created on first start with mode 0600 and read again on the next', async () => {
    const db = join(dir, 'first.db');
    const a = await hub({ accessToken: undefined }, { db });
    const token = a.auth.access!.token;
    expect(a.auth.access!.file).toBe(`${db}.token`);
    expect(statSync(`${db}.token`).mode & 0o777).toBe(0o600);
    expect(readFileSync(`${db}.token`, 'utf8').trim()).toBe(token);
    expect(a.loginUrl).toBe(`${a.url}/?token=${token}`);
    await a.close();
    hubs.splice(hubs.indexOf(a), 1);
    const b = await hub({ accessToken: undefined }, { db });
    expect(b.auth.access!.token).toBe(token);
    expect(b.auth.access!.created).toBe(false);
  });

  it('hopwatch hub prints it in the login URL on first start; later, to a log, only where it is', async () => {
    const db = join(dir, 'printed.db');
    const first = await spawnHub(['--port', '0', '--db', db]);
    children.push(first);
    const token = readFileSync(`${db}.token`, 'utf8').trim();
    expect(first.stdout()).toContain(`sign in at ${first.url}/?token=${token}`);
    first.child.kill('SIGTERM');
    await first.exited;
    // stdout is a pipe here, as under systemd: the journal must not collect the token.
    const second = await spawnHub(['--port', '0', '--db', db]);
    children.push(second);
    expect(second.stdout()).not.toContain(token);
    expect(second.stdout()).toContain(`with the operator token in ${db}.token`);
    expect(second.token).toBe(token);
  }, 30_000);

  it('the recordings beside it are private to the hub user too: a new directory 0700, files 0600', async () => {
    const sub = join(dir, 'private', 'hub');
    const h = await hub({ accessToken: undefined }, { db: join(sub, 'rec.db') });
    h.store.flush();
    expect(statSync(sub).mode & 0o777).toBe(0o700);
    for (const f of ['rec.db', 'rec.db-wal', 'rec.db.token'])
      expect(statSync(join(sub, f)).mode & 0o777, f).toBe(0o600);
  });

  it('lives in memory for --db :memory:, and is never read or written through a symlink', async () => {
    const mem = await hub({ accessToken: undefined });
    expect(mem.auth.access!.file).toBeNull();
    expect(mem.auth.access!.token).toMatch(/^[\w-]{43}$/);
    const planted = join(dir, 'planted.token');
    symlinkSync('/etc/hostname', planted);
    expect(() => loadOrCreateAccessToken(planted)).toThrow(/ELOOP|symbolic link/);
    expect(lstatSync(planted).isSymbolicLink()).toBe(true);
  });
});

describe('AUTH9: security headers', () => {
  it('CSP, frame and sniffing protection on every answer; no-store on data', async () => {
    const h = await hub();
    for (const path of ['/', '/healthz', '/api/hosts']) {
      const res = await raw(h.url, 'GET', path, bearer(TEST_ACCESS_TOKEN));
      expect(res.headers['content-security-policy'], path).toMatch(/default-src 'none'; script-src 'self'/);
      expect(res.headers['content-security-policy'], path).toMatch(/frame-ancestors 'none'/);
      expect(res.headers['x-frame-options'], path).toBe('DENY');
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
      expect(res.headers['referrer-policy'], path).toBe('no-referrer');
    }
    expect((await raw(h.url, 'GET', '/api/hosts', bearer(TEST_ACCESS_TOKEN))).headers['cache-control']).toBe(
      'no-store',
    );
    expect((await raw(h.url, 'GET', '/metrics', bearer(TEST_ACCESS_TOKEN))).headers['cache-control']).toBe(
      'no-store',
    );
  });
});

describe('AUTH10: --insecure-no-auth', () => {
  it('lets everyone in as operator and says so, but still refuses rebound Hosts', async () => {
    const h = await hub({ insecureNoAuth: true });
    expect(h.loginUrl).toBeNull();
    expect((await raw(h.url, 'GET', '/api/hosts')).status).toBe(200);
    expect(JSON.parse((await raw(h.url, 'GET', '/api/session')).body)).toMatchObject({
      auth: 'off',
      role: 'operator',
    });
    await uiSocket(h, {}).opened;
    // No credential is checked, so none exempts a request from the Host check.
    const rebound = { ...bearer('anything-at-all-0123456789'), host: 'evil.example' };
    expect((await raw(h.url, 'GET', '/api/hosts', rebound)).status).toBe(403);
  });
});
