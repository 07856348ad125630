import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { RpsFiles, RpsSchedule } from '../src/sampling/rps-files.ts';

describe('RPS1: rps_cpus through kept descriptors (sampling/rps-files.ts)', () => {
  const dir = mkdtempSync(`${tmpdir()}/hw-rps-`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (ns: string, name: string, mask: string) => {
    mkdirSync(`${dir}/${ns}`, { recursive: true });
    writeFileSync(`${dir}/${ns}/${name}`, `${mask}\n`);
    return `${dir}/${ns}/${name}`;
  };

  it('a kept descriptor reads the file as it is now, and is opened once', () => {
    const files = new RpsFiles();
    const a = file('ns1', 'a', '0');
    let r = files.refresh('ns1');
    expect(r.read(a, 64, undefined)).toBe('0\n');
    r.done();
    expect(files.size).toBe(1);
    writeFileSync(a, '3\n'); // same inode, as sysfs rewrites its own
    r = files.refresh('ns1');
    expect(r.read(a, 64, undefined)).toBe('3\n');
    r.done();
    expect(files.size).toBe(1);
    files.closeAll();
  });

  it('what a refresh of a namespace no longer reads (renamed, deleted) is closed; forget closes the namespace', () => {
    const files = new RpsFiles();
    const a = file('ns2', 'a', '0');
    const b = file('ns2', 'b', '1');
    const c = file('ns3', 'c', '2');
    let r = files.refresh('ns2');
    r.read(a, 64, undefined);
    r.read(b, 64, undefined);
    r.done();
    const r3 = files.refresh('ns3');
    r3.read(c, 64, undefined);
    r3.done();
    expect(files.size).toBe(3);
    r = files.refresh('ns2');
    r.read(b, 64, undefined);
    r.done();
    expect(files.size).toBe(2);
    files.forget('ns2');
    expect(files.size).toBe(1);
    files.forget('ns3');
    expect(files.size).toBe(0);
  });

  it('SEC1: a symbolic link is refused and never kept; a missing file is null', () => {
    const files = new RpsFiles();
    const secret = file('ns4', 'secret', 'HWSECRET');
    symlinkSync(secret, `${dir}/ns4/link`);
    const r = files.refresh('ns4');
    expect(r.read(`${dir}/ns4/link`, 64, undefined)).toBeNull();
    expect(r.read(`${dir}/ns4/missing`, 64, undefined)).toBeNull();
    r.done();
    expect(files.size).toBe(0);
  });
});

describe('RPS1: which namespaces a sample re-reads (RpsSchedule)', () => {
  const names = Array.from({ length: 100 }, (_, i) => `ns${i}`);
  /** Seconds of 1 s samples from t=0: when each namespace was read. */
  function run(seconds: number, quiet: (name: string) => boolean): Map<string, number[]> {
    const schedule = new RpsSchedule(1000);
    const at = new Map<string, number[]>(names.map((n) => [n, []]));
    for (let s = 0; s < seconds; s++) {
      const taken = schedule.take(names, s * 1000, (n) => (quiet(n) ? 1000 : 0));
      expect(taken.length).toBeLessThanOrEqual(4); // 100 namespaces over 30 s: a bounded slice a sample
      for (const n of taken) at.get(n)!.push(s);
    }
    return at;
  }
  const gaps = (t: number[]) => t.slice(1).map((x, i) => x - t[i]!);

  it('every namespace within 30 s, again and again (100 namespaces: 4 a sample)', () => {
    const at = run(240, () => false);
    for (const n of names) {
      expect(at.get(n)![0]).toBeLessThan(30);
      expect(gaps(at.get(n)!).every((g) => g === 25)).toBe(true);
    }
  });

  it('a quiet namespace every 120 s or so, a busy one among them within 30 s', () => {
    const at = run(600, (n) => n !== 'ns7');
    for (const g of gaps(at.get('ns7')!)) expect(g).toBeLessThanOrEqual(30);
    for (const n of names.filter((x) => x !== 'ns7')) {
      expect(at.get(n)![0]).toBeLessThan(30);
      for (const g of gaps(at.get(n)!)) expect(g).toBeGreaterThanOrEqual(120);
      for (const g of gaps(at.get(n)!)) expect(g).toBeLessThanOrEqual(150);
    }
  });

  it('a namespace that turns busy is read again on its next turn', () => {
    const schedule = new RpsSchedule(1000);
    const two = ['a', 'b'];
    let quiet = true;
    const taken: string[][] = [];
    for (let s = 0; s < 8; s++) {
      if (s === 4) quiet = false;
      taken.push(schedule.take(two, s * 1000, () => (quiet ? 1000 : 0)));
    }
    expect(taken.slice(0, 4).flat()).toEqual(['a', 'b']); // first reads, then passed over
    expect(taken.slice(4).flat()).toEqual(['a', 'b', 'a', 'b']);
  });
});
