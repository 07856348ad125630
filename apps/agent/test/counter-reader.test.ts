import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CounterTotals, diffCounters } from '../src/diff.ts';
import type { NsEntry } from '../src/discovery/namespaces.ts';
import { CounterReader, type IdIndex } from '../src/sampling/counter-reader.ts';
import { FIXTURES } from './support/fixtures.ts';

/**
 * The counter reader on the checked-in tree of real kernel output (test/fixtures/tree): the host's
 * /proc/self/net/{dev,snmp,netstat} as captured, edited in place between reads as the kernel
 * would change them (the reader keeps its descriptors open and reads again from offset 0).
 */
const HOST: NsEntry = { name: '', inode: 4026531833, kind: 'host', pid: null, via: null, sysDev: null };
const NAMES = ['lo', 'ifb0', 'ifb1', 'eth0', 'hwtagh0'];

function idsOf(names: readonly string[]): IdIndex {
  const byName = new Map(names.map((name, i) => [name, { id: name, ifindex: i + 1 }]));
  return new Map([['', { byName, tracked: names.length }]]);
}

describe('counter reader', () => {
  let root: string;
  let reader: CounterReader;
  const logs: string[] = [];
  const net = () => `${root}/proc/self/net`;
  const edit = (file: string, from: RegExp, to: string) =>
    writeFileSync(`${net()}/${file}`, readFileSync(`${net()}/${file}`, 'utf8').replace(from, to));

  beforeEach(() => {
    root = mkdtempSync(`${tmpdir()}/hwt-ag-reader-`);
    cpSync(`${FIXTURES}/tree`, root, { recursive: true, verbatimSymlinks: true });
    reader = new CounterReader(`${root}/proc`, (l, m) => logs.push(`${l}: ${m}`));
  });
  afterEach(() => {
    reader.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** `samples` reads in a row, each diffed against the one before, as the collector does. */
  function run(samples: number, ids = idsOf(NAMES), between: (i: number) => void = () => {}) {
    let prev: CounterTotals | null = null;
    const out = [];
    for (let i = 0; i < samples; i++) {
      between(i);
      const r = reader.read([HOST], ids, prev);
      out.push({ ...r, deltas: prev ? diffCounters(prev, r.snap, 1000) : null });
      prev = r.snap;
    }
    return out;
  }

  it('COL8: an idle namespace (net/dev byte for byte as before) hands back its very totals, and the diff skips them', () => {
    const [first, idle, moved, after] = run(4, idsOf(NAMES), (i) => {
      if (i === 2) edit('dev', /eth0: 422309376 {3}11865/, 'eth0: 422310876    11866');
    });
    const host = (r: typeof first) => r!.snap.ifaces.get('')!;
    expect(host(idle)).toBe(host(first));
    expect(idle!.deltas!.ifaces).toEqual({});
    // One row moved: a new map, the idle interfaces' entries (row arrays included) carried over.
    expect(host(moved)).not.toBe(host(idle));
    expect(host(moved).get('lo')).toBe(host(idle).get('lo'));
    expect(host(moved).get('eth0')!.row).not.toBe(host(idle).get('eth0')!.row);
    expect(moved!.deltas!.ifaces).toEqual({ eth0: [1500, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] });
    expect(host(after)).toBe(host(moved));
  });

  it('COL8: an idle namespace whose names differ from the ids is reported every sample, not only when its bytes change', () => {
    const reads = run(3, idsOf(NAMES.filter((n) => n !== 'ifb1')));
    expect(reads.map((r) => r.mismatched)).toEqual([[''], [''], ['']]);
    expect(reads[2]!.snap.ifaces.get('')!.has('ifb1')).toBe(false);
  });

  it('COL8: new ids (a re-probe) are matched again even when the bytes did not change', () => {
    const [first] = run(1);
    const renumbered = idsOf(NAMES);
    renumbered.get('')!.byName.set('eth0', { id: 'eth0', ifindex: 40 });
    const again = reader.read([HOST], renumbered, first!.snap);
    expect(again.snap.ifaces.get('')!.get('eth0')!.ifindex).toBe(40);
    // A new ifindex is a new device: its first reading is its totals (CTR4).
    expect(diffCounters(first!.snap, again.snap, 1000).ifaces.eth0![0]).toBe(422309376);
  });

  it('COL9: SNMP of a quiet namespace (net/dev unchanged) is re-read within 5 samples; nothing is lost', () => {
    const reads = run(6, idsOf(NAMES), (i) => {
      if (i === 1) edit('snmp', /^Udp: 101 0/m, 'Udp: 101 7');
    });
    const seen = reads.slice(1).map((r) => r.deltas!.snmp['']?.['Udp.NoPorts'] ?? 0);
    expect(seen.filter((n) => n > 0)).toEqual([7]);
  });

  it('COL9: a namespace whose net/dev moved reads its snmp in that same sample', () => {
    const reads = run(3, idsOf(NAMES), (i) => {
      if (i !== 2) return;
      edit('dev', /eth0: 422309376 {3}11865/, 'eth0: 422310876    11866');
      edit('snmp', /^Udp: 101 0/m, 'Udp: 102 3'); // InDatagrams is not kept (parse/snmp.ts)
    });
    expect(reads[2]!.deltas!.snmp['']).toEqual({ 'Udp.NoPorts': 3 });
  });

  // The fixture host is the first namespace seen: its netstat slots are samples 0, 10, 20, 30.
  function pruneCalledAt(moveLo: boolean): number[] {
    const reads = run(33, idsOf(NAMES), (i) => {
      if (moveLo) edit('dev', /lo: {4}\d+/, `lo:    ${3193 + i}`);
      if (i === 8) edit('netstat', /^(TcpExt:(?: \d+){4}) 0 /m, '$1 5 ');
    });
    return reads.flatMap((r, i) => (r.deltas?.snmp['']?.['TcpExt.PruneCalled'] === 5 ? [i] : []));
  }

  it('COL9: netstat of a namespace that moved is read on its 10-sample slot', () => {
    expect(pruneCalledAt(true)).toEqual([10]);
  });

  it('COL9: netstat of a namespace quiet for 10 samples is read every 30th: its counters move with packets', () => {
    expect(pruneCalledAt(false)).toEqual([30]);
  });

  it('COL9: quiet namespaces are spread over the five slots, also when their inodes come with a fixed stride', () => {
    // `ip netns add` numbers namespaces 65 apart here: by inode, all ten would share one slot.
    const spaces: NsEntry[] = Array.from({ length: 10 }, (_, i) => {
      const pid = 5000 + i;
      const inode = 4026532174 + 65 * i;
      mkdirSync(`${root}/proc/${pid}/ns`, { recursive: true });
      symlinkSync(`net:[${inode}]`, `${root}/proc/${pid}/ns/net`);
      cpSync(`${root}/proc/4242/net`, `${root}/proc/${pid}/net`, { recursive: true });
      return { name: `ns${i}`, inode, kind: 'named', pid, via: null, sysDev: null };
    });
    const ids: IdIndex = new Map();
    for (const ns of spaces) {
      const dev = readFileSync(`${root}/proc/${ns.pid}/net/dev`, 'latin1');
      const names = [...dev.matchAll(/^\s*([^:\s]+):/gm)].map((m) => m[1]!);
      ids.set(ns.name, {
        byName: new Map(names.map((n, k) => [n, { id: `${ns.name}/${n}`, ifindex: k + 1 }])),
        tracked: names.length,
      });
    }
    let prev: CounterTotals | null = null;
    const seenAt: number[] = [];
    for (let i = 0; i < 7; i++) {
      if (i === 1)
        for (const ns of spaces) {
          const file = `${root}/proc/${ns.pid}/net/snmp`;
          writeFileSync(file, readFileSync(file, 'utf8').replace(/^(Udp: \d+) \d+/m, '$1 999999'));
        }
      const r = reader.read(spaces, ids, prev);
      if (prev) {
        const moved = diffCounters(prev, r.snap, 1000).snmp;
        seenAt.push(Object.values(moved).filter((m) => (m['Udp.NoPorts'] ?? 0) > 0).length);
      }
      prev = r.snap;
    }
    // Each namespace's change arrives once, within five samples, two namespaces a sample.
    expect(seenAt.reduce((a, n) => a + n, 0)).toBe(10);
    expect(Math.max(...seenAt)).toBe(2);
  });
});
