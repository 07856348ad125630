import { describe, expect, it } from 'vitest';
import { ChangeTracker } from '../src/collector/changes.ts';
import type { NsEntry } from '../src/discovery/namespaces.ts';

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
    c.monitorEvent(3, hostNsids, NAMESPACES);
    expect([...c.dirty]).toEqual(['r1']);
    expect(c.takeRelist()).toBe(false);
    c.dirty.clear();
    c.monitorEvent(7, hostNsids, NAMESPACES);
    expect(new Set(c.dirty)).toEqual(new Set(['ns-9', '']));
    expect(c.takeRelist()).toBe(true);
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
