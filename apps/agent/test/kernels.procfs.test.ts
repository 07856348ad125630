import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOnlineCpus, parseSoftnet, softnetLacksCpuIds } from '../src/parse/softnet.ts';
import { parseSnmp } from '../src/parse/snmp.ts';
import { parseConntrackStat } from '../src/proto/parse.ts';
import { DIRECT, readSoftnet } from '../src/sampling/ns-files.ts';
import { fixture } from './support/fixtures.ts';

/** procfs files as the kernels operators run print them (fixtures/kernels/README.md). */

describe('softnet_stat without CPU ids (RHEL 8 4.18, Ubuntu 20.04 5.4)', () => {
  const softnet = fixture('kernels/softnet_stat-4.18-cpu2-offline.txt');
  const stat = fixture('kernels/proc-stat-cpu2-offline.txt');
  const root = mkdtempSync(`${tmpdir()}/hw-proc-`);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('KRN1: 11 columns with CPU 2 offline: rows go to CPUs 0, 1, 3 (not 0, 1, 2)', () => {
    expect(softnetLacksCpuIds(softnet)).toBe(true);
    expect(parseOnlineCpus(stat)).toEqual([0, 1, 3]);
    const rows = parseSoftnet(softnet, parseOnlineCpus(stat));
    expect(rows.map((r) => r.cpu)).toEqual([0, 1, 3]);
    expect(rows[2]).toMatchObject({ dropped: 0x2ae8, receivedRps: 0x10d179, backlogLen: null });
  });

  it('KRN1: 13 and 15 columns carry their own CPU id: /proc/stat is not needed', () => {
    expect(softnetLacksCpuIds(fixture('softnet/softnet-13.txt'))).toBe(false);
    expect(softnetLacksCpuIds(fixture('softnet/softnet-15-after.txt'))).toBe(false);
    expect(softnetLacksCpuIds('')).toBe(false);
  });

  it('KRN1: the sampler reads /proc/stat for 11-column kernels and maps rows by it', () => {
    mkdirSync(`${root}/net`);
    writeFileSync(`${root}/net/softnet_stat`, softnet);
    writeFileSync(`${root}/stat`, stat);
    expect(readSoftnet(DIRECT, root).map((r) => r.cpu)).toEqual([0, 1, 3]);
    // No /proc/stat (or unreadable): the line index, as before.
    rmSync(`${root}/stat`);
    expect(readSoftnet(DIRECT, root).map((r) => r.cpu)).toEqual([0, 1, 2]);
  });
});

describe('netstat field sets by kernel', () => {
  it('KRN5: fields are found by name whatever the kernel added in between', () => {
    for (const v of ['4.18', '5.4', '5.15']) {
      const text = fixture(`kernels/netstat-${v}.txt`);
      const names = text.split('\n')[0]!.split(' ').slice(1);
      const values = text.split('\n')[1]!.split(' ').slice(1).map(Number);
      const m = parseSnmp(text);
      for (const field of [
        'ListenOverflows',
        'ListenDrops',
        'TCPBacklogDrop',
        'PruneCalled',
        'TCPMinTTLDrop',
      ]) {
        expect(m.get(`TcpExt.${field}`), `${v} ${field}`).toBe(values[names.indexOf(field)]);
      }
      expect(m.get('IpExt.InNoRoutes')).toBe(3);
    }
  });

  it('KRN5: a counter the kernel does not have is absent, never a zero (TCPRcvQDrop came in 5.1)', () => {
    expect(parseSnmp(fixture('kernels/netstat-4.18.txt')).has('TcpExt.TCPRcvQDrop')).toBe(false);
    expect(parseSnmp(fixture('kernels/netstat-5.4.txt')).has('TcpExt.TCPRcvQDrop')).toBe(true);
  });
});

describe('conntrack statistics by kernel', () => {
  it('KRN6: the 4.18 header (searched … search_restart) is read by name: drops summed over CPUs', () => {
    expect(parseConntrackStat(fixture('kernels/nf_conntrack-4.18.txt'))).toEqual({
      entries: 0x12c,
      drop: 12,
      earlyDrop: 2,
      insertFailed: 4,
      invalid: 0x15,
    });
  });
});
