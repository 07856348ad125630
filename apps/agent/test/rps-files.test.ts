import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { RpsFiles } from '../src/sampling/rps-files.ts';

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
