import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@hopwatch/shared';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { haveOpenssl, selfSignedCert } from './helpers/tlsCert.ts';
import { TEST_AUTH } from './helpers/auth.ts';

const HAVE_OPENSSL = haveOpenssl();
if (!HAVE_OPENSSL) console.log('tls.test: skipped, no openssl (scripts/ensure-deps.sh installs it)');

describe.skipIf(!HAVE_OPENSSL)('TLS: --tls-cert/--tls-key serve https and wss', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwt-tls-'));
  const pem = HAVE_OPENSSL ? selfSignedCert(dir) : { cert: '', key: '' };
  const hubs: Hub[] = [];
  afterEach(async () => {
    for (const h of hubs.splice(0)) await h.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const hub = async (over: Partial<Parameters<typeof startHub>[0]> = {}) => {
    const h = await startHub({
      auth: TEST_AUTH,
      port: 0,
      db: ':memory:',
      agentToken: 'tls-token',
      log: silentLogger,
      tls: pem,
      ...over,
    });
    hubs.push(h);
    return h;
  };
  const healthz = (url: string, ca?: Buffer) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      get(`${url}/healthz`, ca ? { ca } : {}, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      }).on('error', reject);
    });

  it('TLS1: https answers with the certificate; a client without its CA refuses the hub', async () => {
    const h = await hub();
    expect(h.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = readFileSync(pem.cert);
    expect(await healthz(h.url, ca)).toMatchObject({ status: 200, body: { ok: true } });
    await expect(healthz(h.url)).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });

  it('TLS2: an agent speaks wss to /ws/agent (token checked as over ws) and gets its welcome', async () => {
    const h = await hub();
    const ws = new WebSocket(`${h.url.replace(/^https/, 'wss')}/ws/agent?protocol=1`, {
      ca: readFileSync(pem.cert),
      headers: { authorization: 'Bearer tls-token' },
    });
    const welcome = new Promise<string>((resolve) => ws.on('message', (d) => resolve(d.toString())));
    await new Promise((r) => ws.on('open', r));
    ws.send(
      JSON.stringify({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        host: 'tls-host',
        agentVersion: 't',
        instance: 'i',
        intervalMs: 1000,
        tracing: 'off',
      }),
    );
    expect(JSON.parse(await welcome)).toMatchObject({ type: 'welcome' });
    ws.close();
  });

  it('TLS3: a missing or broken certificate is a start-up error in words, nothing left listening', async () => {
    await expect(hub({ tls: { cert: join(dir, 'nope.crt'), key: pem.key } })).rejects.toThrow(
      /cannot read --tls-cert .*nope\.crt: ENOENT/,
    );
    const junk = join(dir, 'junk.crt');
    writeFileSync(junk, 'not a certificate\n');
    await expect(hub({ tls: { cert: junk, key: pem.key } })).rejects.toThrow(
      /--tls-cert\/--tls-key: not a usable PEM certificate and matching key/,
    );
  });
});
