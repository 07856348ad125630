import * as fs from 'node:fs';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { NsEntry } from '../src/discovery/namespaces.ts';
import * as snmp from '../src/parse/snmp.ts';
import * as protoParse from '../src/proto/parse.ts';
import { NsProtoReader } from '../src/proto/reader.ts';
import { CounterReader, type IdIndex } from '../src/sampling/counter-reader.ts';
import {
  MISSING_SYSCTL_EVERY,
  readNsMib,
  readSoftnet,
  SYSCTLS,
  SysctlReader,
} from '../src/sampling/ns-files.ts';
import { RpsFiles } from '../src/sampling/rps-files.ts';
import { OpenFiles, seqWholeBelow, WHOLE_ON_SHORT_READ } from '../src/util/procfs.ts';
import { FIXTURES, fixture } from './support/fixtures.ts';

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, readvSync: vi.fn(real.readvSync) };
});
// Pass-through spies: how often a file's text is parsed.
vi.mock('../src/parse/snmp.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/parse/snmp.ts')>();
  return { ...real, parseSnmp: vi.fn(real.parseSnmp) };
});
vi.mock('../src/proto/parse.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/proto/parse.ts')>();
  return {
    ...real,
    parseConntrackStat: vi.fn(real.parseConntrackStat),
    parseArp: vi.fn(real.parseArp),
  };
});

/** Kernel file reads (readvSync calls) made by `fn`. */
function readsOf(fn: () => void): number {
  const spy = vi.mocked(fs.readvSync);
  spy.mockClear();
  fn();
  return spy.mock.calls.length;
}

/** How many reads one OpenFiles.readBytes of `path` takes. */
function reads(files: OpenFiles, path: string, wholeBelow?: number): number {
  const spy = vi.mocked(fs.readvSync);
  spy.mockClear();
  files.readBytes(path, 1 << 20, undefined, undefined, wholeBelow);
  return spy.mock.calls.length;
}

describe('kernel file reads', () => {
  const dir = mkdtempSync(`${tmpdir()}/hwt-ag-procfs-`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('COL8: a net/dev smaller than a seq_file page can stop short is read in one pread, a larger one to the end', () => {
    const files = new OpenFiles();
    const whole = seqWholeBelow(360);
    writeFileSync(`${dir}/small`, 'x'.repeat(1500));
    writeFileSync(`${dir}/large`, 'x'.repeat(whole + 10));
    expect(reads(files, `${dir}/small`)).toBe(2); // by default: read until a read gives 0
    expect(reads(files, `${dir}/small`, whole)).toBe(1);
    expect(files.readBytes(`${dir}/small`, 1 << 20, undefined, undefined, whole)).toHaveLength(1500);
    expect(reads(files, `${dir}/large`, whole)).toBe(2);
    files.closeAll();
  });

  it('COL11: the net/dev of every namespace is read before any parse or SNMP read (the ends of a veth pair read close together)', () => {
    const proc = `${dir}/col11/proc`;
    cpSync(`${FIXTURES}/tree/proc`, proc, { recursive: true, verbatimSymlinks: true });
    mkdirSync(`${proc}/net`, { recursive: true });
    writeFileSync(`${proc}/net/softnet_stat`, fixture('softnet/softnet-15-before.txt'));
    const spaces: NsEntry[] = [
      { name: '', inode: 4026531833, kind: 'host', pid: null, via: null, sysDev: null },
      { name: 'r1', inode: 4026532315, kind: 'named', pid: 4242, via: null, sysDev: null },
    ];
    const ids = new Map(
      spaces.map((ns) => {
        const dev = readFileSync(`${proc}/${ns.pid ?? 'self'}/net/dev`, 'latin1');
        const names = [...dev.matchAll(/^\s*([^:\s]+):/gm)].map((m) => m[1]!);
        const byName = new Map(names.map((x, k) => [x, { id: `${ns.name}/${x}`, ifindex: k + 1 }]));
        return [ns.name, { byName, tracked: names.length }] as const;
      }),
    );
    const reader = new CounterReader(proc, () => {});
    const spy = vi.mocked(fs.readvSync);
    spy.mockClear();
    reader.read(spaces, ids, null);
    // Which file each read was of, in order (the descriptors are the reader's own, still open).
    const files = spy.mock.calls.map((c) =>
      fs.readlinkSync(`/proc/self/fd/${c[0] as number}`).replace(proc, ''),
    );
    reader.close();
    const devs = files.flatMap((f, i) => (f.endsWith('/net/dev') ? [i] : []));
    const mibs = files.flatMap((f, i) => (/\/net\/(snmp|netstat)$/.test(f) ? [i] : []));
    expect(devs).toHaveLength(2);
    expect(mibs.length).toBeGreaterThan(0);
    expect(Math.max(...devs)).toBeLessThan(Math.min(...mibs));
  });

  it('READ1: files the kernel makes whole per read (sysctls, snmp, netstat, sysfs, tracefs stats) take one read of any size', () => {
    const files = new OpenFiles();
    writeFileSync(`${dir}/page`, 'x'.repeat(9000));
    expect(reads(files, `${dir}/page`, WHOLE_ON_SHORT_READ)).toBe(1);
    expect(files.readBytes(`${dir}/page`, 1 << 20, undefined, undefined, WHOLE_ON_SHORT_READ)).toHaveLength(
      9000,
    );
    files.closeAll();
  });

  it('READ3: a sysctl this kernel lacks is looked for every 60 samples, and is in the sample once it appears', () => {
    const proc = `${dir}/read3/proc`;
    const pathOf = (name: string) => `${proc}/sys/${name.replaceAll('.', '/')}`;
    const bitmap = 'net.core.flow_limit_cpu_bitmap';
    for (const name of SYSCTLS) {
      if (name === bitmap) continue;
      mkdirSync(pathOf(name).slice(0, pathOf(name).lastIndexOf('/')), { recursive: true });
      writeFileSync(pathOf(name), '1000\n');
    }
    const reader = new SysctlReader(new OpenFiles(), proc);
    expect(reader.read()).not.toHaveProperty(bitmap);
    // A module loaded: the file is there, looked for again only on the 60th sample after.
    writeFileSync(pathOf(bitmap), '3\n');
    const seenAt: number[] = [];
    for (let i = 1; i <= 2 * MISSING_SYSCTL_EVERY; i++) {
      const got = reader.read();
      expect(got['net.core.netdev_max_backlog']).toBe(1000);
      if (bitmap in got) seenAt.push(i);
    }
    expect(seenAt[0]).toBe(MISSING_SYSCTL_EVERY);
    // Once there, read every sample.
    expect(seenAt.length).toBe(MISSING_SYSCTL_EVERY + 1);
    // The files the host has are read every sample, one read each (READ1).
    expect(readsOf(() => reader.read())).toBe(SYSCTLS.length);
  });

  it('READ1: a sample reads each sysctl, softnet, snmp, netstat, rps_cpus, conntrack and arp file in one read', async () => {
    const proc = `${dir}/read1/proc`;
    for (const name of SYSCTLS) {
      const path = `${proc}/sys/${name.replaceAll('.', '/')}`;
      mkdirSync(path.slice(0, path.lastIndexOf('/')), { recursive: true });
      writeFileSync(path, name.endsWith('_bitmap') ? '0\n' : '1000\n');
    }
    mkdirSync(`${proc}/net`, { recursive: true });
    writeFileSync(`${proc}/net/softnet_stat`, fixture('softnet/softnet-15-before.txt'));
    cpSync(`${FIXTURES}/tree/proc/self`, `${proc}/self`, { recursive: true, verbatimSymlinks: true });
    writeFileSync(`${proc}/self/net/arp`, fixture('proto/arp-unresolved.txt'));
    mkdirSync(`${proc}/self/net/stat`);
    writeFileSync(`${proc}/self/net/stat/nf_conntrack`, fixture('proto/nf_conntrack-empty.txt'));
    const host: NsEntry = { name: '', inode: 4026531833, kind: 'host', pid: null, via: null, sysDev: null };
    const files = new OpenFiles();
    expect(
      readsOf(() => expect(new SysctlReader(files, proc).read()['net.core.netdev_max_backlog']).toBe(1000)),
    ).toBe(SYSCTLS.length);
    expect(readsOf(() => expect(readSoftnet(files, proc).length).toBeGreaterThan(0))).toBe(1);
    expect(readsOf(() => expect(readNsMib(files, proc, host, 'snmp').size).toBeGreaterThan(0))).toBe(1);
    expect(readsOf(() => expect(readNsMib(files, proc, host, 'netstat').size).toBeGreaterThan(0))).toBe(1);
    const proto = new NsProtoReader(
      proc,
      async () => ({ code: 1, stdout: '', stderr: '' }),
      () => {},
      false,
      files,
    );
    expect(await readsAsync(() => proto.sample([host], []))).toBe(2); // conntrack statistics and arp
    const rps = new RpsFiles();
    const reader = rps.refresh('');
    writeFileSync(`${dir}/read1/rps_cpus`, '00000003\n');
    expect(
      readsOf(() => expect(reader.read(`${dir}/read1/rps_cpus`, 4096, undefined)).toBe('00000003\n')),
    ).toBe(1);
    rps.closeAll();
    files.closeAll();
  });

  it('COL12: an active namespace whose SNMP counters stay put is read on the quiet slots, and every sample again once they move', () => {
    const { proc, host, ids } = hostTree(`${dir}/col12/proc`);
    const devPath = `${proc}/self/net/dev`;
    const snmpPath = `${proc}/self/net/snmp`;
    const dev = readFileSync(devPath, 'latin1');
    const snmpText = readFileSync(snmpPath, 'latin1');
    const reader = new CounterReader(proc, () => {});
    const spy = vi.mocked(fs.readvSync);
    let prev = reader.read([host], ids, null).snap;
    // Which of the samples 1..40 read snmp; lo moves in every one of them (frames, no IPv4).
    const snmpReadAt: number[] = [];
    for (let tick = 1; tick <= 40; tick++) {
      writeFileSync(devPath, dev.replace('3193      29', `${3193 + tick}      ${29 + tick}`));
      // From sample 23 on its IPv4 stack counts too (first read on the next quiet slot, 25).
      if (tick >= 23) writeFileSync(snmpPath, snmpText.replace(/^Udp: 101 0/m, `Udp: 101 ${tick}`));
      spy.mockClear();
      const next = reader.read([host], ids, prev).snap;
      expect(next.ifaces.get('')).not.toBe(prev.ifaces.get(''));
      const paths = spy.mock.calls.map((c) => fs.readlinkSync(`/proc/self/fd/${c[0] as number}`));
      if (paths.some((p) => p === snmpPath)) snmpReadAt.push(tick);
      if (tick === 25) expect(next.snmp.get('')!.get('Udp.NoPorts')).toBe(25);
      prev = next;
    }
    reader.close();
    // Followed from first sight for 10 samples; then the 5-sample slots; then every sample again.
    const again = Array.from({ length: 16 }, (_, i) => 25 + i);
    expect(snmpReadAt).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, ...again]);
  });

  it('READ2: snmp, netstat, conntrack and arp that read as before are not parsed again, and the SNMP map is the same object', async () => {
    const { proc, host, ids } = hostTree(`${dir}/read2/proc`);
    const reader = new CounterReader(proc, () => {});
    vi.mocked(snmp.parseSnmp).mockClear();
    let prev = reader.read([host], ids, null).snap;
    const first = prev.snmp.get('');
    // 12 samples: the quiet namespace's snmp is re-read on its 5-sample slots, netstat on its 10th.
    for (let i = 0; i < 12; i++) {
      prev = reader.read([host], ids, prev).snap;
      expect(prev.snmp.get('')).toBe(first);
    }
    expect(vi.mocked(snmp.parseSnmp)).toHaveBeenCalledTimes(2); // the first snmp and netstat
    // A counter that moves is parsed and reported as before.
    const path = `${proc}/self/net/snmp`;
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^Udp: 101 0/m, 'Udp: 101 7'));
    let moved: number | undefined;
    for (let i = 0; i < 5 && moved === undefined; i++) {
      const next = reader.read([host], ids, prev).snap;
      if (next.snmp.get('') !== first) moved = next.snmp.get('')!.get('Udp.NoPorts') as number;
      prev = next;
    }
    expect(moved).toBe(7);
    reader.close();

    writeFileSync(`${proc}/self/net/arp`, fixture('proto/arp-unresolved.txt'));
    mkdirSync(`${proc}/self/net/stat`);
    writeFileSync(`${proc}/self/net/stat/nf_conntrack`, fixture('proto/nf_conntrack-empty.txt'));
    const files = new OpenFiles();
    const proto = new NsProtoReader(
      proc,
      async () => ({ code: 1, stdout: '', stderr: '' }),
      () => {},
      false,
      files,
    );
    vi.mocked(protoParse.parseConntrackStat).mockClear();
    vi.mocked(protoParse.parseArp).mockClear();
    for (let i = 0; i < 12; i++) {
      const out = await proto.sample([host], []);
      expect(out['']?.unresolved).toEqual([{ ip: '10.10.0.5', dev: 'qr-a1' }]);
    }
    expect(vi.mocked(protoParse.parseConntrackStat)).toHaveBeenCalledTimes(1);
    expect(vi.mocked(protoParse.parseArp)).toHaveBeenCalledTimes(1);
    files.closeAll();
  });
});

/** A copy of the fixture /proc at `proc`: its host namespace and the ids of its five interfaces. */
function hostTree(proc: string): { proc: string; host: NsEntry; ids: IdIndex } {
  cpSync(`${FIXTURES}/tree/proc`, proc, { recursive: true, verbatimSymlinks: true });
  const host: NsEntry = { name: '', inode: 4026531833, kind: 'host', pid: null, via: null, sysDev: null };
  const names = ['lo', 'ifb0', 'ifb1', 'eth0', 'hwtagh0'];
  const ids: IdIndex = new Map([
    ['', { byName: new Map(names.map((n, i) => [n, { id: n, ifindex: i + 1 }])), tracked: 5 }],
  ]);
  return { proc, host, ids };
}

/** Kernel file reads (readvSync calls) made by an async `fn`. */
async function readsAsync(fn: () => Promise<unknown>): Promise<number> {
  const spy = vi.mocked(fs.readvSync);
  spy.mockClear();
  await fn();
  return spy.mock.calls.length;
}
