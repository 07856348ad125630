import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ChangeTracker } from '../src/collector/changes.ts';
import { type NsEntry, ProcessNsScanner } from '../src/discovery/namespaces.ts';
import type { MonitorLine } from '../src/parse/monitor.ts';

const ns = (name: string, kind: NsEntry['kind']): NsEntry => ({
  name,
  inode: name.length + 1,
  kind,
  pid: 1,
  via: null,
  sysDev: null,
});
const NAMESPACES = new Map([
  ['', ns('', 'host')],
  ['r1', ns('r1', 'named')],
  ['r2', ns('r2', 'named')],
  ['ns-9', ns('ns-9', 'unnamed')],
]);

const change = (nsid: number | null): MonitorLine => ({ nsid, kind: 'change' });
const addr = (nsid: number, ifindex: number, address: string, present: boolean): MonitorLine => ({
  nsid,
  kind: 'address',
  ifindex,
  address,
  present,
});

describe('COL7: change detection (collector/changes.ts)', () => {
  it('the safety net re-probes every namespace once an hour, a few per sample, not all at once', () => {
    const c = new ChangeTracker(0);
    const names = [...NAMESPACES.keys()];
    const seen: string[] = [];
    for (let t = 1000; t <= 3_601_000; t += 1000) {
      c.tick(t, names);
      expect(c.dirty.size).toBeLessThanOrEqual(1);
      seen.push(...c.dirty);
      c.dirty.clear();
    }
    expect(seen.sort()).toEqual([...names].sort());
  });

  it('ip monitor events mark their namespace; an nsid nobody names relists and marks the unnamed and the host', () => {
    const c = new ChangeTracker(0);
    c.takeRelist();
    const hostNsids = new Map<number, string | null>([[3, 'r1']]);
    c.monitorEvent(change(3), hostNsids, NAMESPACES);
    expect([...c.dirty]).toEqual(['r1']);
    expect(c.takeRelist()).toBe(false);
    c.dirty.clear();
    c.monitorEvent(change(null), hostNsids, NAMESPACES);
    expect([...c.dirty]).toEqual(['']);
    c.dirty.clear();
    c.monitorEvent(change(7), hostNsids, NAMESPACES);
    expect(new Set(c.dirty)).toEqual(new Set(['ns-9', '']));
    expect(c.takeRelist()).toBe(true);
    c.dirty.clear();
    // an address event of an nsid nobody names is as good as a change
    c.monitorEvent(addr(7, 2, 'fe80::1/64', true), hostNsids, NAMESPACES);
    expect(new Set(c.dirty)).toEqual(new Set(['ns-9', '']));
    expect(c.takeRelist()).toBe(true);
  });

  it('an event that cannot change the probe marks nothing, even from an nsid nobody names', () => {
    const c = new ChangeTracker(0);
    c.takeRelist();
    c.monitorEvent({ nsid: 3, kind: 'ignore' }, new Map([[3, 'r1']]), NAMESPACES);
    c.monitorEvent({ nsid: 7, kind: 'ignore' }, new Map([[3, 'r1']]), NAMESPACES);
    expect(c.dirty.size).toBe(0);
    expect(c.takeRelist()).toBe(false);
  });

  describe('address events re-probe only when the latest probe does not already show them', () => {
    const hostNsids = new Map<number, string | null>([
      [3, 'r1'],
      [4, 'r2'],
    ]);
    const probes = new Map([
      ['r1', { links: [{ ifindex: 2, addresses: ['10.0.0.1/24', 'fe80::1/64'] }] }],
      ['r2', { links: [{ ifindex: 2, addresses: ['10.0.1.1/24'] }] }],
    ]);

    it('an address the probe already shows (DAD done after the probe saw it) re-probes nothing', () => {
      const c = new ChangeTracker(0);
      c.monitorEvent(addr(3, 2, 'fe80::1/64', true), hostNsids, NAMESPACES);
      c.monitorEvent(addr(4, 2, 'fe80::2/64', false), hostNsids, NAMESPACES); // deleted, and not shown
      c.settleAddresses((n) => probes.get(n));
      expect(c.dirty.size).toBe(0);
      c.settleAddresses(() => undefined); // settled facts are not checked twice
      expect(c.dirty.size).toBe(0);
    });

    it('an address the probe lacks, or still shows after a delete, re-probes its namespace', () => {
      const c = new ChangeTracker(0);
      c.monitorEvent(addr(3, 2, 'fe80::9/64', true), hostNsids, NAMESPACES);
      c.monitorEvent(addr(4, 2, '10.0.1.1/24', false), hostNsids, NAMESPACES);
      c.settleAddresses((n) => probes.get(n));
      expect(new Set(c.dirty)).toEqual(new Set(['r1', 'r2']));
    });

    it('an address on an interface the probe does not know, or in a namespace not probed yet, re-probes', () => {
      const c = new ChangeTracker(0);
      c.monitorEvent(addr(3, 9, '10.0.0.1/24', true), hostNsids, NAMESPACES);
      c.monitorEvent(addr(4, 2, '10.0.1.1/24', true), hostNsids, NAMESPACES);
      c.settleAddresses((n) => (n === 'r1' ? probes.get(n) : undefined));
      expect(new Set(c.dirty)).toEqual(new Set(['r1', 'r2']));
    });

    it('the last event of an address wins: added then deleted is absent', () => {
      const c = new ChangeTracker(0);
      c.monitorEvent(addr(3, 2, 'fe80::9/64', true), hostNsids, NAMESPACES);
      c.monitorEvent(addr(3, 2, 'fe80::9/64', false), hostNsids, NAMESPACES);
      c.settleAddresses((n) => probes.get(n));
      expect(c.dirty.size).toBe(0);
    });

    it('a namespace already owed a re-probe keeps no facts; a forgotten one loses them', () => {
      const c = new ChangeTracker(0);
      c.markDirty('r1');
      c.monitorEvent(addr(3, 2, 'fe80::9/64', true), hostNsids, NAMESPACES);
      c.monitorEvent(addr(4, 2, 'fe80::9/64', true), hostNsids, NAMESPACES);
      // Before any forget: r1's re-probe ran (rediscoverDirty took it off); with no probe to check
      // against, a kept fact would re-probe its namespace — only r2 kept one.
      c.dirty.delete('r1');
      c.settleAddresses(() => undefined);
      expect(new Set(c.dirty)).toEqual(new Set(['r2']));
      c.dirty.clear();
      c.markDirty('r1');
      c.monitorEvent(addr(3, 2, 'fe80::9/64', true), hostNsids, NAMESPACES);
      c.monitorEvent(addr(4, 2, 'fe80::9/64', true), hostNsids, NAMESPACES);
      c.forget('r1');
      c.forget('r2');
      c.settleAddresses(() => undefined);
      expect(c.dirty.size).toBe(0);
    });
  });

  it('IP_RPFILTER drops re-probe only the namespaces ip monitor cannot hear, at most every 30 s', () => {
    const c = new ChangeTracker(0);
    const hostNsids = new Map<number, string | null>([[3, 'r1']]);
    c.rpFilterDrops(1000, hostNsids, NAMESPACES.values());
    expect(new Set(c.dirty)).toEqual(new Set(['r2', 'ns-9']));
    c.dirty.clear();
    c.rpFilterDrops(20_000, hostNsids, NAMESPACES.values());
    expect(c.dirty.size).toBe(0);
    c.rpFilterDrops(31_000, hostNsids, NAMESPACES.values());
    expect(c.dirty.size).toBe(2);
  });
});

describe('process namespace scanner', () => {
  it('SCAN1: a pid that exits is forgotten, so the same pid reused in another namespace is read again', () => {
    const root = mkdtempSync(`${tmpdir()}/hwt-ag-scan-`);
    try {
      const proc = (pid: number, inode: number) => {
        mkdirSync(`${root}/${pid}/ns`, { recursive: true });
        symlinkSync(`net:[${inode}]`, `${root}/${pid}/ns/net`);
      };
      proc(100, 5);
      proc(200, 6);
      mkdirSync(`${root}/self`);
      const scanner = new ProcessNsScanner(root);
      // Two scans that agree: both pids cached as confirmed.
      expect(scanner.scan(0)).toEqual(
        new Map([
          [5, 100],
          [6, 200],
        ]),
      );
      expect(scanner.scan(1)).toEqual(
        new Map([
          [5, 100],
          [6, 200],
        ]),
      );
      rmSync(`${root}/200`, { recursive: true });
      expect(scanner.scan(2)).toEqual(new Map([[5, 100]]));
      proc(200, 7); // pid 200 again, in another namespace, before the next full re-read
      expect(scanner.scan(3)).toEqual(
        new Map([
          [5, 100],
          [7, 200],
        ]),
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
