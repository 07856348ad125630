/**
 * SEC1–SEC3 without root: the defensive reads, the value formats, hostile names through the
 * parsers, the budgets. Kernel text comes from fixtures captured on the team VM (fixtures/README).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyBudgets, pickNamespaces } from '../src/budget.ts';
import type { NsEntry } from '../src/discovery/namespaces.ts';
import { isRepresentableIfname, isSafeIfname, type NsProbe, parseRpsMask } from '../src/discovery/probe.ts';
import { isBatchWord } from '../src/discovery/qdisc.ts';
import { parseIpLinks } from '../src/parse/iplink.ts';
import { splitJsonDocuments } from '../src/parse/json.ts';
import { parseNetDevBytes } from '../src/parse/netdev.ts';
import { parseSysctl } from '../src/sampling/ns-files.ts';
import { execText } from '../src/util/exec.ts';
import { OpenFiles, RefusedFile, readText, readTextOrNull, setRefusalLog } from '../src/util/procfs.ts';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES));

describe('SEC1: kernel files are opened defensively', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwt-ag-sec-'));
  const secret = join(dir, 'secret');
  writeFileSync(secret, 'HWSECRET\n', { mode: 0o600 });
  writeFileSync(join(dir, 'plain'), '00000000,00000002\n');
  symlinkSync(secret, join(dir, 'link'));
  symlinkSync('/dev/zero', join(dir, 'zero'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  writeFileSync(join(dir, 'big'), 'x'.repeat(70_000));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('SEC1: a plain file reads as before', () => {
    expect(readText(join(dir, 'plain'))).toBe('00000000,00000002\n');
  });

  it('SEC1: a symbolic link as the last component is refused, not followed', () => {
    expect(() => readText(join(dir, 'link'))).toThrow(RefusedFile);
    expect(() => readText(join(dir, 'link'))).toThrow(/symbolic link/);
  });

  it('SEC1: a FIFO is refused at once instead of blocking for a writer', () => {
    const t0 = performance.now();
    expect(() => readText(join(dir, 'fifo'))).toThrow(/not a regular file/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('SEC1: /dev/zero is refused (a link to it, and the device itself)', () => {
    expect(() => readText(join(dir, 'zero'))).toThrow(RefusedFile);
    expect(() => readText('/dev/zero')).toThrow(/not a regular file/);
  });

  it('SEC1: a file larger than the cap is refused, not buffered', () => {
    expect(() => readText(join(dir, 'big'))).toThrow(/larger than 65536 bytes/);
    expect(readText(join(dir, 'big'), 100_000)).toHaveLength(70_000);
  });

  it('SEC1: a file on another device than the one expected is refused', () => {
    expect(() => readText(join(dir, 'plain'), 1024, -1)).toThrow(/expected kernel file system/);
  });

  it('SEC1: readTextOrNull keeps its call shape: null, and the refusal logged once', () => {
    const logged: string[] = [];
    setRefusalLog((m) => logged.push(m));
    expect(readTextOrNull(join(dir, 'link'))).toBeNull();
    expect(readTextOrNull(join(dir, 'link'))).toBeNull();
    expect(readTextOrNull(join(dir, 'missing'))).toBeNull();
    expect(logged).toEqual([`refused to read ${join(dir, 'link')}: it is a symbolic link`]);
    expect(logged.join('')).not.toContain('HWSECRET');
  });

  it('SEC1: a kept descriptor is dropped when its namespace check fails', () => {
    const files = new OpenFiles();
    expect(() =>
      files.readBytes(join(dir, 'plain'), 1024, () => {
        throw new Error('process 42 is no longer in namespace 7');
      }),
    ).toThrow(/no longer in namespace/);
    expect(files.size).toBe(0);
    expect(files.readBytes(join(dir, 'plain'), 1024, () => {}).toString()).toBe('00000000,00000002\n');
    expect(files.size).toBe(1);
    files.closeAll();
  });

  it('SEC1: OpenFiles.read and readOrNull take the expected device too (tracer stats, rps_cpus)', () => {
    const files = new OpenFiles();
    const plain = join(dir, 'plain');
    const dev = statSync(plain).dev;
    expect(() => files.read(plain, 1024, -1)).toThrow(/expected kernel file system/);
    expect(files.readOrNull(plain, 1024, -1)).toBeNull();
    expect(files.size).toBe(0);
    expect(files.readOrNull(plain, 1024, dev)).toBe('00000000,00000002\n');
    expect(files.read(plain, 1024, dev)).toBe('00000000,00000002\n');
    expect(files.size).toBe(1);
    files.closeAll();
  });

  it('SEC2: a command printing more than the cap is killed, its output dropped', async () => {
    const r = await execText('yes', [], null, 1024 * 1024);
    expect(r).toMatchObject({ code: null, stdout: '' });
    expect(r.stderr).toMatch(/printed more than 1048576 bytes/);
  });
});

describe('SEC1: values against their exact format', () => {
  it('SEC1: rps_cpus is a kernel CPU mask (fixtures: the captured files), all-zero is null', () => {
    const tree = 'tree/proc/4242/root/sys/class/net';
    expect(parseRpsMask(fixture(`${tree}/hv0/queues/rx-0/rps_cpus`).toString('latin1'))).toBe('2');
    expect(parseRpsMask(fixture(`${tree}/lo/queues/rx-0/rps_cpus`).toString('latin1'))).toBeNull();
    // The wide form of a many-CPU host (%*pb: 32-bit groups, the first one shorter).
    expect(parseRpsMask('00000000,00000003\n')).toBe('00000000,00000003');
    expect(parseRpsMask('3,00000000,00000000\n')).toBe('3,00000000,00000000');
    expect(parseRpsMask('00000000,00000000\n')).toBeNull();
  });

  it('SEC1: anything else is refused (undefined), not passed on', () => {
    for (const bad of [
      'root:$6$salt$hash:19000:0:99999:7:::\n',
      'HWSECRET-2f1e\n',
      '2\n\n',
      '',
      '00000000,3\n',
      '0x2\n',
      ' 2\n',
      'DEADBEEF\n',
      `${'0'.repeat(9)}\n`,
    ]) {
      expect(parseRpsMask(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('SEC1: sysctls are decimals, the bitmap a CPU mask', () => {
    expect(parseSysctl('net.core.netdev_max_backlog', '1000\n')).toBe(1000);
    expect(parseSysctl('net.core.netdev_max_backlog', '1000 \n')).toBeNull();
    expect(parseSysctl('net.core.netdev_max_backlog', 'root:x:0:0\n')).toBeNull();
    expect(parseSysctl('net.core.flow_limit_cpu_bitmap', '00000000,00000002\n')).toBe(2);
    expect(parseSysctl('net.core.flow_limit_cpu_bitmap', '\n')).toBe(0);
    expect(parseSysctl('net.core.flow_limit_cpu_bitmap', 'zz\n')).toBeNull();
  });
});

describe('SEC3: hostile interface names', () => {
  const links = () =>
    parseIpLinks(splitJsonDocuments(fixture('ip/hostile-names.batch.json').toString('utf8'))[0] ?? null);

  it("SEC3: ip's JSON with raw control characters in a name still parses (fixture: real ip -j output)", () => {
    const names = links().map((l) => l.name);
    expect(names).toEqual(expect.arrayContaining(['-x', 'a"b', '"q', 'a#b', 'e\x1b[2Jf', 'cé']));
  });

  it('SEC3: net/dev names decode like ip\'s, so a UTF-8 name is not "changed" every sample', () => {
    const rows = parseNetDevBytes(fixture('proc-net-dev-hostile-names.txt'));
    const fromIp = new Set(links().map((l) => l.name));
    for (const name of rows.keys()) expect(fromIp.has(name), JSON.stringify(name)).toBe(true);
  });

  it('SEC3: a name that is not UTF-8 is not representable (it would collide); control characters are', () => {
    const bad = links().find((l) => l.name.startsWith('b'))!;
    expect(bad.name).toContain('\uFFFD');
    expect(isRepresentableIfname(bad.name)).toBe(false);
    expect(isRepresentableIfname('e\x1b[2Jf')).toBe(true);
    for (const n of ['', '.', '..', 'a/b', 'a:b', 'a b', 'x'.repeat(16)])
      expect(isSafeIfname(n), n).toBe(false);
    expect(isSafeIfname('-x')).toBe(true);
  });

  it('SEC3: names the tc/ip batch parser mangles are kept out of batches (tried on tc 6.1)', () => {
    for (const ok of ['eth0', '-x', 'a"b', "a'b", 'a\\b', '$(id)', 'e\x1b[2Jf'])
      expect(isBatchWord(ok), ok).toBe(true);
    for (const bad of ['"q', "'c", 'a#b', '#', 'a b', '']) expect(isBatchWord(bad), bad).toBe(false);
  });
});

describe('SEC2: budgets', () => {
  const ns = (name: string, kind: NsEntry['kind']): NsEntry => ({
    name,
    inode: name.length,
    kind,
    pid: null,
    via: null,
    sysDev: null,
  });
  const probe = (entry: NsEntry, ifaces: number): NsProbe => ({
    ns: entry,
    links: Array.from({ length: ifaces }, (_, k) => ({ name: `i${k}` }) as NsProbe['links'][number]),
    routes: [],
    forwarding: false,
    rpFilter: {},
    nsids: new Map(),
    rps: new Map(),
    left: { ifaces: 0, routes: 0, addresses: 1 },
    ignored: [],
  });

  it('SEC2: the namespace budget keeps the host, then named, then watched unnamed, then new unnamed', () => {
    const found = [
      ns('', 'host'),
      ns('qr-1', 'named'),
      ns('ns-5', 'unnamed'),
      ns('ns-6', 'unnamed'),
      ns('ns-7', 'unnamed'),
    ];
    expect(pickNamespaces(found, new Set(), 10)).toEqual({ kept: found, left: 0 });
    const { kept, left } = pickNamespaces(found, new Set(['ns-7']), 3);
    expect(kept.map((n) => n.name)).toEqual(['', 'qr-1', 'ns-7']);
    expect(left).toBe(2);
  });

  it('SEC2: interface and byte budgets leave out whole namespaces, unnamed first, and count them', () => {
    const probes = [probe(ns('ns-9', 'unnamed'), 5), probe(ns('', 'host'), 4), probe(ns('qr-1', 'named'), 3)];
    const over = new Map([['ns-10', { ifaces: 5000 }]]);
    const b = applyBudgets(probes, { maxIfaces: 8, maxBytes: 1e9 }, () => 10, 7, over);
    expect(b.shown.map((p) => p.ns.name)).toEqual(['', 'qr-1']);
    expect(b.dropped).toEqual(['ns-9']);
    expect(b.truncated).toEqual({ namespaces: 7 + 1 + 1, ifaces: 5000 + 5, routes: 0, addresses: 2 });
    const bytes = applyBudgets(probes, { maxIfaces: 100, maxBytes: 25 }, () => 10, 0, new Map());
    expect(bytes.dropped).toEqual(['ns-9']);
  });
});
