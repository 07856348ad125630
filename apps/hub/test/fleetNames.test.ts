import { describe, expect, it } from 'vitest';
import { atLeast, fleetNames, hostOfToken, subjectToken } from '../src/fleet/connect.ts';
import { isTransient } from '../src/fleet/streams.ts';

describe('fleet names (docs/fleet.md)', () => {
  it('FLEET5: a host name becomes one subject token and KV key, and back, whatever it holds', () => {
    for (const host of ['net-node-3.example.org', 'a b*c>d', 'hv_01', 'ünï-cödé', 'x=41']) {
      const token = subjectToken(host);
      expect(token).toMatch(/^[-/_=.a-zA-Z0-9]+$/); // a valid KV key
      expect(token).not.toMatch(/[.*> ]/); // one subject token, no wildcard
      expect(hostOfToken(token)).toBe(host);
    }
    expect(subjectToken('net-node-3.example')).toBe('net-node-3=2eexample');
    expect(fleetNames().chunkSubject('h.1')).toBe('hopwatch.chunk.h=2e1');
    expect(fleetNames('lab2').chunkStream).toBe('LAB2_CHUNKS');
  });

  it('FLEET6: server versions compare as numbers (get-by-time needs 2.11; Debian has 2.9.10)', () => {
    expect(atLeast('2.9.10', '2.11.0')).toBe(false);
    expect(atLeast('2.11.0', '2.11.0')).toBe(true);
    expect(atLeast('2.12.1', '2.11.0')).toBe(true);
  });

  it('FLEET7: a NATS outage is transient, a lost compare-and-set is not (a lease is only revoked for the latter)', () => {
    expect(isTransient(new Error('jetstream is not enabled'))).toBe(true);
    expect(isTransient(new Error('no suitable peers for placement'))).toBe(true);
    expect(isTransient(new Error('TIMEOUT'))).toBe(true);
    expect(isTransient(new Error('wrong last sequence: 7'))).toBe(false);
  });
});
