import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Hub, silentLogger, startHub } from '@hopwatch/hub';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/command.ts';
import { authOptionsFrom } from '../src/commands/hubAuth.ts';

const run = promisify(execFile);

describe('hopwatch hub: who-may-use-it flags', () => {
  it('turns the flags into the hub options', () => {
    expect(
      authOptionsFrom('hub', {
        'access-token-file': '/etc/hopwatch/token',
        'tokens-file': '/etc/hopwatch/tokens',
        'public-url': 'https://hopwatch.example.org/some/path',
        'auth-proxy-header': 'X-Forwarded-User',
        'auth-proxy-role-header': 'X-Forwarded-Role',
        'trusted-proxy': ['10.0.0.0/8,192.168.1.5', '::1'],
      }),
    ).toEqual({
      accessTokenFile: '/etc/hopwatch/token',
      tokensFile: '/etc/hopwatch/tokens',
      publicUrl: 'https://hopwatch.example.org',
      proxy: {
        header: 'X-Forwarded-User',
        roleHeader: 'X-Forwarded-Role',
        trusted: ['10.0.0.0/8', '192.168.1.5', '::1'],
        defaultRole: 'viewer',
      },
    });
  });

  it('refuses a proxy header trusted from nowhere in particular, and other half-configurations', () => {
    const refused = (v: Parameters<typeof authOptionsFrom>[1]) => () => authOptionsFrom('hub', v);
    expect(refused({ 'auth-proxy-header': 'X-Forwarded-User' })).toThrow(/needs --trusted-proxy/);
    expect(refused({ 'trusted-proxy': ['10.0.0.0/8'] })).toThrow(/needs --auth-proxy-header/);
    expect(
      refused({ 'auth-proxy-header': 'X-U', 'trusted-proxy': ['::1'], 'auth-proxy-default-role': 'admin' }),
    ).toThrow(/viewer or operator/);
    expect(refused({ 'insecure-no-auth': true, 'tokens-file': 'f' })).toThrow(UsageError);
    expect(refused({ 'public-url': 'hopwatch.example.org' })).toThrow(/--public-url must be a URL/);
  });

  it('--insecure-no-auth alone turns authentication off', () => {
    expect(authOptionsFrom('start', { 'insecure-no-auth': true })).toEqual({
      insecureNoAuth: true,
      publicUrl: null,
    });
  });
});

// Each case runs the CLI (node + tsx) once or more: seconds each on a loaded machine.
describe('hopwatch replay list|export|import --hub: the access token', { timeout: 60_000 }, () => {
  const CLI = new URL('../../../bin/hopwatch.mjs', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'hwt-cli-auth-'));
  const TOKEN = 'cli-test-token-0123456789';
  let hub: Hub;
  beforeAll(async () => {
    hub = await startHub({
      port: 0,
      db: ':memory:',
      agentToken: null,
      log: silentLogger,
      auth: { accessToken: TOKEN },
    });
  });
  afterAll(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // Not this machine's own hub's token file: XDG_DATA_HOME is the test's.
  const list = (args: string[], env: Record<string, string> = {}) =>
    run(process.execPath, [CLI, 'replay', 'list', '--hub', hub.url, ...args], {
      env: { ...process.env, XDG_DATA_HOME: dir, HOPWATCH_TOKEN: '', ...env },
    }).then(
      (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        out: e.stdout,
        err: e.stderr,
      }),
    );

  it('without a token: 401 and how to pass one', async () => {
    const r = await list([]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/401 .*--token, --token-file or HOPWATCH_TOKEN/);
  });

  it('--token-file, HOPWATCH_TOKEN, or the file beside the default database', async () => {
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
    expect(await list(['--token-file', file])).toMatchObject({ code: 0, out: 'no named recordings\n' });
    expect(await list([], { HOPWATCH_TOKEN: TOKEN })).toMatchObject({ code: 0 });
    mkdirSync(join(dir, 'hopwatch'), { recursive: true });
    writeFileSync(join(dir, 'hopwatch', 'hopwatch.db.token'), TOKEN, { mode: 0o600 });
    expect(await list([])).toMatchObject({ code: 0 });
  });
});
