import { describe, expect, it } from 'vitest';
import {
  type CounterTotals,
  diffCounters,
  type IfaceTotal,
  diffRow,
  diffSoftnet,
  keyframeJson,
  keyframeOf,
} from '../src/diff.ts';
import { parseSoftnet } from '../src/parse/softnet.ts';
import type { Counter } from '../src/util/counter.ts';
import { counterDelta, u32Delta } from '../src/util/counter.ts';
import { fixture } from './support/fixtures.ts';

const row = (rxPackets: Counter, rxDropped: Counter = 0): Counter[] => [
  0,
  rxPackets,
  0,
  rxDropped,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
];

function snap(
  ifaces: Record<string, [number, Counter[]]>,
  snmp: Record<string, Record<string, Counter>> = {},
): CounterTotals {
  // Grouped by namespace as the reader does: `NETNS/IFNAME`, or the host's `IFNAME`.
  const byNs = new Map<string, Map<string, IfaceTotal>>();
  for (const [id, [ifindex, r]] of Object.entries(ifaces)) {
    const ns = id.includes('/') ? id.slice(0, id.indexOf('/')) : '';
    if (!byNs.has(ns)) byNs.set(ns, new Map());
    byNs.get(ns)!.set(id, { ifindex, row: r });
  }
  return {
    ifaces: byNs,
    softnet: [],
    qdiscs: new Map(),
    snmp: new Map(Object.entries(snmp).map(([ns, f]) => [ns, new Map(Object.entries(f))])),
  };
}

describe('counter deltas', () => {
  it('CTR1: u64 deltas are exact past 2^53', () => {
    expect(counterDelta(18446744073709551000n, 18446744073709551615n)).toBe(615);
    expect(counterDelta(9007199254740000, 9007199254740993n)).toBe(993);
  });

  it('CTR2: a 32-bit softnet column that wraps gives next - prev + 2^32', () => {
    expect(u32Delta(0xfffffff0, 0x10)).toBe(0x20);
    const before = parseSoftnet(
      'fffffff0 fffffffe 00000000 0 0 0 0 0 0 00000000 00000000 00000000 00000001\n',
    );
    const after = parseSoftnet(
      '00000010 00000003 00000000 0 0 0 0 0 0 00000000 00000000 00000000 00000001\n',
    );
    expect(diffSoftnet(before, after)).toEqual([
      { cpu: 1, processed: 0x20, dropped: 5, timeSqueeze: 0, receivedRps: 0, flowLimit: 0, backlogLen: 0 },
    ]);
  });

  it('CTR2: softnet deltas of the seed reproduction show the drops on the RPS target CPU', () => {
    const d = diffSoftnet(
      parseSoftnet(fixture('softnet/softnet-15-before.txt')),
      parseSoftnet(fixture('softnet/softnet-15-after.txt')),
    );
    expect(d.find((r) => r.cpu === 1)!.dropped).toBe(0x2ae8 - 0x952);
    expect(d.find((r) => r.cpu === 0)!.dropped).toBe(0);
  });

  it('CTR3: a counter that goes backwards is a reset: the delta is the new value, never negative', () => {
    expect(diffRow(row(1000, 5), row(40, 1))).toEqual({ delta: row(40, 1), reset: true });
    expect(counterDelta(500, 20)).toBe(20);
  });

  it('CTR4: an interface recreated under the same name (new ifindex) restarts from its new totals', () => {
    const d = diffCounters(snap({ 'ns/eth0': [5, row(10)] }), snap({ 'ns/eth0': [9, row(30)] }), 1000);
    expect(d.ifaces['ns/eth0']).toEqual(row(30));
  });

  it('CTR5: rows whose deltas are all zero are omitted; new interfaces are a baseline', () => {
    const d = diffCounters(
      snap({ a: [1, row(5)], b: [2, row(7)] }),
      snap({ a: [1, row(5)], b: [2, row(9, 1)], c: [3, row(100)] }),
      1000,
    );
    expect(d.ifaces).toEqual({ b: row(2, 1) });
    expect(d.elapsedMs).toBe(1000);
  });

  it('CTR6: SNMP deltas per namespace keep only the fields that moved', () => {
    const d = diffCounters(
      snap({}, { '': { 'Udp.NoPorts': 3, 'Ip.InDiscards': 0 }, q: { 'Udp.NoPorts': 1 } }),
      snap({}, { '': { 'Udp.NoPorts': 10, 'Ip.InDiscards': 0 }, q: { 'Udp.NoPorts': 1 } }),
      1000,
    );
    expect(d.snmp).toEqual({ '': { 'Udp.NoPorts': 7 } });
  });

  it('CTR8: the keyframe written as text is the JSON of keyframeOf (bigints, odd names, softnet, empty)', () => {
    const totals = snap({
      eth0: [2, row(18446744073709551615n, 7)],
      'ns-1/veth"q\\x': [3, row(9007199254740991, 0)],
      '10': [4, row(0)],
      'ns-2/lo': [1, []],
    });
    totals.softnet = parseSoftnet(fixture('softnet/softnet-15-after.txt'));
    const t = 1_700_000_000_123;
    expect(JSON.parse(keyframeJson(t, totals))).toEqual(JSON.parse(JSON.stringify(keyframeOf(t, totals))));
    const empty = snap({});
    expect(JSON.parse(keyframeJson(5, empty))).toEqual(JSON.parse(JSON.stringify(keyframeOf(5, empty))));
    expect(keyframeJson(5, empty)).toBe('{"t":5,"ifaces":{},"softnet":[]}');
  });

  it('CTR7: keyframes carry exact decimal strings', () => {
    const k = keyframeOf(5, snap({ eth0: [2, row(18446744073709551615n)] }));
    expect(k.ifaces.eth0![1]).toBe('18446744073709551615');
    expect(k.t).toBe(5);
  });
});
