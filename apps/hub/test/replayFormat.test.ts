import { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { exportStream } from '../src/replay/export.ts';
import { ImportConflictError, importRecording, RecordingFileError } from '../src/replay/import.ts';
import { openMarks } from '../src/store/marks.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';

const T0 = 1_700_000_000_000;
const stores: Store[] = [];
function open(): Store {
  const s = openStore(':memory:', { autoPump: false, chunkMs: 10_000, now: () => T0 + 60_000 });
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

/** Two hosts, 30 s each, a topology change on h1 at 15 s, a keyframe and a mark. */
function source(): Store {
  const s = open();
  for (const host of ['h1', 'h2']) {
    s.appendTopology(host, T0, makeTopology(host));
    for (let i = 1; i <= 30; i++) {
      if (host === 'h1' && i === 15)
        s.appendTopology(host, T0 + 15_000, makeTopology(host, ['veth-a', 'ns1/veth-b', 'br0']));
      if (host === 'h1' && i === 10)
        s.appendKeyframe(host, { t: T0 + 10_000, ifaces: { 'veth-a': row().map(String) }, softnet: [] });
      s.append(
        host,
        makeSample(T0 + i * 1000, {
          'veth-a': row({ txPackets: 100, txDropped: i % 7 === 0 ? 9 : 0 }),
          'ns1/veth-b': row({ rxPackets: 100 }),
        }),
      );
    }
  }
  s.flush();
  openMarks(s).create({
    name: 'INC-4711 packet loss on net-node-3',
    hosts: ['h1'],
    start: T0 + 5000,
    end: T0 + 20_000,
  });
  return s;
}

async function exportBytes(s: Store, hosts = ['h1', 'h2'], start = T0, end = T0 + 30_000): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of exportStream(s, { hosts, start, end, marks: openMarks(s).list() }))
    parts.push(c as Buffer);
  return Buffer.concat(parts);
}
const lines = (gz: Buffer) => gunzipSync(gz).toString('utf8').trimEnd().split('\n');
const regzip = (ls: string[]) => gzipSync(`${ls.join('\n')}\n`);
const importBuf = (s: Store, b: Buffer, opts = {}) => importRecording(s, Readable.from([b]), opts);

describe('recording file format (FORMAT.md)', () => {
  it('FMT1: gzip bytes; the first line opens with format and version 1; the last line is the end with counts', async () => {
    const gz = await exportBytes(source());
    expect([...gz.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    const ls = lines(gz);
    expect(ls[0]!.startsWith('{"format":"hopwatch-recording","version":1,')).toBe(true);
    expect(JSON.parse(ls[0]!)).toMatchObject({
      start: T0,
      end: T0 + 30_000,
      hosts: ['h1', 'h2'],
      protocol: 1,
    });
    expect(JSON.parse(ls.at(-1)!)).toEqual({
      type: 'end',
      counts: { topology: 3, sample: 60, keyframe: 1, mark: 1 },
    });
    // A topology version precedes the samples it governs.
    const types = ls.slice(1).map((l) => JSON.parse(l) as { type: string; host?: string });
    expect(types.findIndex((l) => l.type === 'topology' && l.host === 'h2')).toBeLessThan(
      types.findIndex((l) => l.type === 'sample' && l.host === 'h2'),
    );
  });

  it('FMT2: export then import reproduces samples, topology versions, keyframes, marks and chunk summaries', async () => {
    const a = source();
    const b = open();
    const r = await importBuf(b, await exportBytes(a));
    expect(r).toMatchObject({ samples: 60, topologies: 3, keyframes: 1 });
    expect(b.hosts()).toEqual(['h1', 'h2']);
    for (const host of ['h1', 'h2']) {
      const ra = a.readRange(host, T0, T0 + 30_000);
      const rb = b.readRange(host, T0, T0 + 30_000);
      expect(rb.samples).toEqual(ra.samples);
      expect(rb.topologies).toEqual(ra.topologies);
      expect(rb.keyframes).toEqual(ra.keyframes);
      expect(b.summaries(host, T0, T0 + 30_000)).toEqual(a.summaries(host, T0, T0 + 30_000));
      expect(b.lastT(host)).toBe(T0 + 30_000);
    }
    expect(
      openMarks(b)
        .list()
        .map(({ created: _c, updated: _u, ...m }) => m),
    ).toEqual(
      openMarks(a)
        .list()
        .map(({ created: _c, updated: _u, ...m }) => m),
    );
  });

  it('FMT3: a host suffix renames hosts, their topologies and their marks', async () => {
    const b = open();
    await importBuf(b, await exportBytes(source()), { hostSuffix: '@INC-4711' });
    expect(b.hosts()).toEqual(['h1@INC-4711', 'h2@INC-4711']);
    expect(b.topologyAt('h1@INC-4711', T0 + 20_000)?.topology.host).toBe('h1@INC-4711');
    expect(openMarks(b).list()[0]!.hosts).toEqual(['h1@INC-4711']);
  });
});

describe('bad files: a clear error, nothing imported', () => {
  async function refused(b: Buffer, message: RegExp) {
    const s = open();
    const err = await importBuf(s, b).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RecordingFileError);
    expect((err as Error).message).toMatch(message);
    expect(s.hosts()).toEqual([]);
    expect(openMarks(s).list()).toEqual([]);
    expect(s.stats().chunks).toBe(0);
  }

  it('FMT4: a newer format version is refused by name', async () => {
    const ls = lines(await exportBytes(source()));
    ls[0] = ls[0]!.replace('"version":1', '"version":2');
    await refused(regzip(ls), /format version 2, written by a newer hopwatch; this one reads version 1/);
  });

  it('FMT5: not gzip, gzip of something else, truncated bytes, a flipped byte', async () => {
    const gz = await exportBytes(source());
    await refused(Buffer.from('{"format":"hopwatch-recording"}\n'), /not gzip-compressed/);
    await refused(gzipSync('hello\n'), /not a hopwatch recording/);
    await refused(gzipSync('{"format":"pcap"}\n'), /format is "pcap"/);
    await refused(gz.subarray(0, Math.floor(gz.length / 2)), /damaged/);
    const flipped = Buffer.from(gz);
    flipped[Math.floor(gz.length / 2)]! ^= 0xff;
    await refused(flipped, /damaged|line \d+/);
  });

  it('FMT6: one bad line late in the file refuses the whole file and names the line', async () => {
    const ls = lines(await exportBytes(source()));
    const at = ls.length - 3;
    const bad = JSON.parse(ls[at]!) as { sample: { ifaces: Record<string, number[]> } };
    bad.sample.ifaces['veth-a'] = [-1];
    ls[at] = JSON.stringify(bad);
    await refused(regzip(ls), new RegExp(`line ${at + 1}: invalid sample line`));
  });

  it('FMT7: a file cut at a line boundary (no end line) or with wrong counts is refused', async () => {
    const ls = lines(await exportBytes(source()));
    await refused(regzip(ls.slice(0, -5)), /without its end line: truncated/);
    const counts = ls.slice(0, -1);
    counts.push('{"type":"end","counts":{"topology":3,"sample":61,"keyframe":1,"mark":1}}');
    await refused(regzip(counts), /end line counts/);
    const noTopo = ls.filter((l) => !l.startsWith('{"type":"topology"'));
    noTopo[noTopo.length - 1] = '{"type":"end","counts":{"topology":0,"sample":60,"keyframe":1,"mark":1}}';
    await refused(regzip(noTopo), /host "h1" has samples but no topology/);
  });

  it('FMT8: overlapping data for the same host is a conflict; nothing of the file is written', async () => {
    const gz = await exportBytes(source());
    const b = open();
    b.appendTopology('h2', T0, makeTopology('h2'));
    b.append('h2', makeSample(T0 + 25_000));
    const err = await importBuf(b, gz).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ImportConflictError);
    expect((err as Error).message).toMatch(/host "h2" already has recordings/);
    expect(b.hosts()).toEqual(['h2']);
    expect(b.readRange('h2', 0, T0 * 2).samples).toHaveLength(1);
    expect(openMarks(b).list()).toEqual([]);
  });
});
