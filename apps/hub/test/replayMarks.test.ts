import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MarkError, openMarks } from '../src/store/marks.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';

const T0 = 1_700_000_000_000;
const HOUR_MS = 3600_000;
const dirs: string[] = [];
const stores: Store[] = [];
let clock = T0;

function open(path = ':memory:', opts: Parameters<typeof openStore>[1] = {}): Store {
  const s = openStore(path, { autoPump: false, chunkMs: 10_000, now: () => clock, ...opts });
  stores.push(s);
  return s;
}
function tmpDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hwt-rp-marks-'));
  dirs.push(dir);
  return join(dir, 'rec.db');
}
/** One sample a second for `seconds` from `from`, flushed to chunks of 10 s. */
function record(s: Store, host: string, from: number, seconds: number): void {
  s.appendTopology(host, from, makeTopology(host));
  for (let i = 1; i <= seconds; i++)
    s.append(host, makeSample(from + i * 1000, { 'veth-a': row({ rxPackets: i }) }));
  s.flush();
}
const times = (s: Store, host: string, a: number, b: number) =>
  s.readRange(host, a, b).samples.map((x) => x.t);

afterEach(() => {
  clock = T0;
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('named recordings (marks)', () => {
  it('creates, lists, renames and deletes; survives reopening the file', () => {
    const path = tmpDb();
    const s = open(path);
    const marks = openMarks(s, () => clock);
    const a = marks.create({ name: '  INC-4711 packet loss on net-node-3 ', start: T0, end: T0 + 60_000 });
    const b = marks.create({ name: 'later', hosts: ['h2', 'h1', 'h1'], start: T0 + 1, end: T0 + 2 });
    expect(a.name).toBe('INC-4711 packet loss on net-node-3');
    expect(a.hosts).toBeNull();
    expect(b.hosts).toEqual(['h1', 'h2']);
    expect(a.id).toMatch(/^[0-9a-f]{12}$/); // never starts with "-" (a CLI argument)
    expect(marks.list().map((m) => m.id)).toEqual([b.id, a.id]);
    clock += 5000;
    const renamed = marks.update(a.id, { name: 'INC-4711 (resolved)' });
    expect(renamed).toMatchObject({
      name: 'INC-4711 (resolved)',
      start: T0,
      updated: T0 + 5000,
      created: T0,
    });
    expect(marks.update('nope', { name: 'x' })).toBeNull();
    expect(marks.remove(b.id)).toBe(true);
    expect(marks.remove(b.id)).toBe(false);
    s.close();
    const again = openMarks(open(path));
    expect(again.list()).toEqual([renamed]);
  });

  it('refuses a nameless mark, an inverted range and an empty host list, in words', () => {
    const marks = openMarks(open());
    expect(() => marks.create({ name: ' ', start: T0, end: T0 })).toThrow(MarkError);
    expect(() => marks.create({ name: 'x', start: T0, end: T0 - 1 })).toThrow(/start ≤ end/);
    expect(() => marks.create({ name: 'x', hosts: [], start: T0, end: T0 })).toThrow(/non-empty list/);
    expect(() => marks.create({ name: 'x'.repeat(201), start: T0, end: T0 })).toThrow(/1 to 200/);
    // A mark keeps its data past retention: one over all time would keep everything.
    expect(() => marks.create({ name: 'x', start: 0, end: T0 })).toThrow(/at most 7 days/);
    expect(() => marks.create({ name: 'x', start: T0, end: T0 + 8 * 24 * HOUR_MS })).toThrow(MarkError);
    expect(marks.list()).toEqual([]);
  });
});

describe('retention and marks', () => {
  it('age retention keeps the chunks a mark covers (and only those) and the topology they need', () => {
    const s = open(':memory:', { retentionMs: HOUR_MS });
    record(s, 'h1', T0, 60);
    record(s, 'h2', T0, 60);
    openMarks(s).create({ name: 'incident', hosts: ['h1'], start: T0 + 21_000, end: T0 + 29_000 });
    clock = T0 + 2 * HOUR_MS;
    const r = s.enforceRetention();
    expect(r.deletedChunks).toBeGreaterThan(0);
    // The chunk (20 s, 30 s] holds the mark; everything else of h1 and all of h2 is gone.
    expect(times(s, 'h1', T0, T0 + 60_000)).toEqual(
      Array.from({ length: 10 }, (_, i) => T0 + 21_000 + i * 1000),
    );
    expect(times(s, 'h2', T0, T0 + 60_000)).toEqual([]);
    expect(s.topologyAt('h1', T0 + 25_000)?.topology.host).toBe('h1');
  });

  it('a mark for every host protects every host; deleting the mark lets retention take the range', () => {
    const s = open(':memory:', { retentionMs: HOUR_MS });
    record(s, 'h1', T0, 30);
    record(s, 'h2', T0, 30);
    const marks = openMarks(s);
    const m = marks.create({ name: 'all', start: T0, end: T0 + 30_000 });
    clock = T0 + 2 * HOUR_MS;
    expect(s.enforceRetention().deletedChunks).toBe(0);
    expect(times(s, 'h2', T0, T0 + 30_000)).toHaveLength(30);
    marks.remove(m.id);
    expect(s.enforceRetention().deletedChunks).toBe(6);
    expect(times(s, 'h1', T0, T0 + 30_000)).toEqual([]);
  });

  it('size retention skips marked chunks and deletes the next oldest instead', () => {
    const path = tmpDb();
    const big = open(path, { retentionMs: 100 * HOUR_MS });
    record(big, 'h1', T0, 100);
    openMarks(big).create({ name: 'oldest', start: T0, end: T0 + 9_000 });
    const bytesOf = (sql: string) => (big.db.prepare(sql).get() as { b: number }).b;
    // Room for the topology, the marked chunk and about one more: the marked one stays.
    const budget =
      bytesOf('SELECT sum(bytes) AS b FROM topologies') + bytesOf('SELECT max(bytes) AS b FROM chunks') * 2.5;
    big.close();
    const half = open(path, { retentionMs: 100 * HOUR_MS, retentionBytes: Math.floor(budget) });
    expect(half.stats().retentionDeletedChunks).toBe(8);
    expect(times(half, 'h1', T0, T0 + 10_000)).toHaveLength(10);
    expect(
      openMarks(half)
        .list()
        .map((m) => m.name),
    ).toEqual(['oldest']);
  });

  it('RET1: marks count against the byte budget: marked data alone over it → the oldest mark goes, said in the log', () => {
    const warnings: string[] = [];
    const infos: string[] = [];
    const log = { info: (m: string) => infos.push(m), warn: (m: string) => warnings.push(m), error() {} };
    const s = open(':memory:', { retentionMs: 100 * HOUR_MS, retentionBytes: 1, log });
    record(s, 'h1', T0, 60);
    const marks = openMarks(s);
    // A cross-site import once added exactly this: a mark over everything, holding every chunk.
    marks.create({ name: 'older', start: T0, end: T0 + 60_000 });
    marks.create({ name: 'newer', start: T0 + 30_000, end: T0 + 60_000 });
    const r = s.enforceRetention();
    expect(r.deletedChunks).toBe(6);
    expect(marks.list()).toEqual([]);
    expect(s.stats().retentionDeletedMarks).toBe(2);
    expect(warnings.join('\n')).toMatch(
      /marked recordings alone: removed the oldest named recording \w+ "older"/,
    );
    expect(warnings[1]).toMatch(/"newer"/);
    expect(infos.join('\n')).toMatch(
      /retention removed 6 chunk\(s\), \d+ KiB, up to .*, to stay under 1 bytes \(oldest first\)/,
    );
  });

  it('RET2: age retention says what it removed and why', () => {
    const infos: string[] = [];
    const s = open(':memory:', {
      retentionMs: HOUR_MS,
      log: { info: (m: string) => infos.push(m), warn() {}, error() {} },
    });
    record(s, 'h1', T0, 30);
    clock = T0 + 2 * HOUR_MS;
    s.enforceRetention();
    expect(infos).toEqual([
      expect.stringMatching(/retention removed 3 chunk\(s\), \d+ KiB, older than 1 h$/),
    ]);
  });
});
