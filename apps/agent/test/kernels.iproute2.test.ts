import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import type { NsEntry } from '../src/discovery/namespaces.ts';
import { type NsProbe, probeNamespace, type Runner } from '../src/discovery/probe.ts';
import { QdiscReader } from '../src/discovery/qdisc.ts';
import { ifaceKind } from '../src/discovery/topology.ts';
import { splitJsonDocuments, splitJsonTexts } from '../src/parse/json.ts';
import { parseForwarding, parseNsidList } from '../src/parse/iproute.ts';
import { parseQdiscs, parseQdiscText } from '../src/parse/qdisc.ts';
import { FIXTURES, fixture } from './support/fixtures.ts';

/** `ip -j` of older iproute2 (fixtures/kernels/README.md says what differs and where from). */

const HOST: NsEntry = { name: '', inode: 1, kind: 'host', pid: null, via: null, sysDev: null };

function answering(file: string): Runner {
  return async () => ({ code: 0, stdout: fixture(file), stderr: '' });
}

async function probe(file: string, sysRoot: string): Promise<NsProbe> {
  const p = await probeNamespace(HOST, answering(file), { procRoot: '/nonexistent', sysRoot });
  if ('error' in p) throw new Error(p.error);
  return p;
}

describe('a NIC without parentbus (iproute2 < 5.14 or kernel < 5.14: RHEL 8, Ubuntu 20.04)', () => {
  const sys = mkdtempSync(`${tmpdir()}/hw-sysfs-`);
  afterAll(() => rmSync(sys, { recursive: true, force: true }));
  // sysfs as the kernel lays it out: class/net/eth0/device → the virtio device, its subsystem → bus/virtio.
  const virtio = `${sys}/devices/pci0000:00/0000:00:03.0/virtio0`;
  mkdirSync(virtio, { recursive: true });
  mkdirSync(`${sys}/bus/virtio`, { recursive: true });
  symlinkSync('../../../../bus/virtio', `${virtio}/subsystem`);
  mkdirSync(`${sys}/class/net/eth0`, { recursive: true });
  symlinkSync('../../../devices/pci0000:00/0000:00:03.0/virtio0', `${sys}/class/net/eth0/device`);
  mkdirSync(`${sys}/class/net/ifb0`, { recursive: true }); // virtual: no device link

  it.each(['5.5', '4.18'])(
    'KRN7: iproute2 %s: eth0 is found physical through sysfs, on its bus',
    async (v) => {
      const p = await probe(`kernels/ip-host-iproute2-${v}.batch.json`, sys);
      const eth0 = p.links.find((l) => l.name === 'eth0')!;
      expect(eth0.parentBus).toBe('virtio');
      expect(ifaceKind(eth0)).toBe('physical');
      expect(ifaceKind(p.links.find((l) => l.name === 'ifb0')!)).toBe('other');
      expect(ifaceKind(p.links.find((l) => l.name === 'lo')!)).toBe('loopback');
      expect(p.links.find((l) => l.name === 'hwtagh0')!.infoKind).toBe('veth');
    },
  );

  it('KRN7: without a device link it stays "other", never guessed', async () => {
    const p = await probe('kernels/ip-host-iproute2-5.5.batch.json', '/nonexistent-sys');
    expect(ifaceKind(p.links.find((l) => l.name === 'eth0')!)).toBe('other');
  });

  it('KRN7: iproute2 5.15+ (parentbus printed) needs no sysfs lookup', async () => {
    const p = await probe('ip/host.batch.json', '/nonexistent-sys');
    expect(ifaceKind(p.links.find((l) => l.name === 'eth0')!)).toBe('physical');
  });
});

describe('JSON shapes that did not change (checked in the iproute2 sources v4.18.0 … v6.2.0)', () => {
  it('KRN8: netconf forwarding is a JSON bool and list-id names are strings on every version', () => {
    const docs = splitJsonDocuments(fixture('kernels/ip-host-iproute2-4.18.batch.json'));
    expect(docs).toHaveLength(4);
    expect(parseForwarding(docs[2] ?? null)).toBe(
      parseForwarding(splitJsonDocuments(fixture('ip/host.batch.json'))[2] ?? null),
    );
    expect(parseNsidList(docs[3] ?? null)).toBeInstanceOf(Map);
  });

  it('KRN8: tc 4.18 prints tbf options raw inside -j output: the counters are salvaged, not lost', () => {
    const text = fixture('kernels/tc-iproute2-4.18.json');
    expect(() => JSON.parse(text)).toThrow();
    const qd = parseQdiscText(text);
    expect(qd.get('eth0')).toEqual({
      kind: 'tbf',
      packets: 1042,
      bytes: 98231,
      drops: 3,
      overlimits: 12,
      requeues: 1,
      qlen: 0,
    });
    expect(qd.get('hwtagh0')).toMatchObject({ kind: 'pfifo_fast', packets: 61 });
    expect(qd.has('lo')).toBe(false); // noqueue
    // `qdisc show dev eth0`: no dev key, the device asked for names it.
    const one = splitJsonTexts(fixture('kernels/tc-iproute2-4.18-dev-eth0.json'));
    expect(parseQdiscText(one[0]!, 'eth0').get('eth0')).toMatchObject({ kind: 'tbf', drops: 3 });
    // Valid JSON takes the JSON path and gives the same numbers.
    expect(parseQdiscText(fixture('tc/host.json'))).toEqual(parseQdiscs(JSON.parse(fixture('tc/host.json'))));
  });
});

describe('tc 4.16–5.2 batch mode (RHEL 8.0–8.2, Debian 10)', () => {
  const bin = mkdtempSync(`${tmpdir()}/hw-tc-`);
  const path = process.env.PATH;
  afterAll(() => {
    process.env.PATH = path;
    rmSync(bin, { recursive: true, force: true });
  });

  it('KRN8: a tc that reads one batch line ahead answers every device of every sample', async () => {
    copyFileSync(`${FIXTURES}/../support/tc-readahead.sh`, `${bin}/tc`);
    process.env.PATH = `${bin}:${path}`;
    const reader = new QdiscReader(HOST);
    try {
      for (let sample = 0; sample < 3; sample++) {
        const stats = await reader.read(['eth0', 'hwtagh0']);
        expect(stats?.get('eth0')).toMatchObject({ kind: 'tbf', packets: 4, drops: 3 });
        expect(stats?.get('hwtagh0')).toMatchObject({ packets: 7 });
      }
    } finally {
      reader.close();
      process.env.PATH = path;
    }
  });
});
