import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/command.ts';
import { natsOptionsFrom } from '../src/commands/hubNats.ts';

describe('hopwatch hub --nats: one replica of a fleet', () => {
  it('turns the flags into the hub options; without --nats there is no fleet', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopwatch-nats-flags-'));
    try {
      writeFileSync(join(dir, 'pw'), 's3cret\n');
      expect(natsOptionsFrom({})).toBeUndefined();
      expect(
        natsOptionsFrom({
          nats: 'nats://n1:4222, nats://n2:4222,nats://n3:4222',
          'nats-creds': '/etc/hopwatch/hub.creds',
          'nats-user': 'hopwatch',
          'nats-password-file': join(dir, 'pw'),
          'nats-tls-ca': '/etc/hopwatch/ca.pem',
          'nats-replicas': '3',
          'nats-prefix': 'lab2',
          'replica-name': 'hub-a',
        }),
      ).toEqual({
        servers: ['nats://n1:4222', 'nats://n2:4222', 'nats://n3:4222'],
        credsFile: '/etc/hopwatch/hub.creds',
        user: 'hopwatch',
        pass: 's3cret',
        tlsCa: '/etc/hopwatch/ca.pem',
        replicas: 3,
        prefix: 'lab2',
        replica: 'hub-a',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses NATS options without --nats, half a client certificate, and a bad prefix, in words', () => {
    expect(() => natsOptionsFrom({ 'nats-creds': 'x' })).toThrow(UsageError);
    expect(() => natsOptionsFrom({ 'nats-creds': 'x' })).toThrow(/--nats-creds needs --nats URL/);
    expect(() => natsOptionsFrom({ nats: 'nats://a', 'nats-tls-cert': 'c.pem' })).toThrow(/go together/);
    expect(() => natsOptionsFrom({ nats: 'nats://a', 'nats-prefix': 'a.b' })).toThrow(/--nats-prefix/);
    expect(() => natsOptionsFrom({ nats: ' , ' })).toThrow(/at least one URL/);
  });
});
