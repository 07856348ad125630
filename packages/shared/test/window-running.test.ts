import { describe, expect, it } from 'vitest';
import type { Sample } from '../src/index.ts';
import { mergeSamples } from '../src/judge/window.ts';
import { createRunningWindow } from '../src/judge/window-running.ts';
import { type Deltas, sample, T0 } from './fixtures/samples.ts';

/** Sample k of a sequence (1 s each) with these interface deltas and a little of everything else. */
function at(k: number, ifaces: Record<string, Deltas>): Sample {
  return sample({
    t: T0 + k * 1000,
    elapsedMs: 1000,
    ifaces,
    softnet: [{ cpu: 0, processed: k, backlogLen: k % 3 === 0 ? null : k }],
    qdiscs: k % 2 === 0 ? { eth0: { packets: k, drops: 1, qlen: k } } : {},
    snmp: { '': { 'Udp.NoPorts': k } },
    drops: k % 3 === 0 ? [{ reason: 'NO_SOCKET', location: 'udp_rcv', cpu: 0, count: k }] : [],
    sysctls: k === 2 ? { 'net.core.netdev_budget': 600 } : {},
    tracing: { state: 'on', detail: null, lost: k % 2 },
  });
}

/**
 * Ten intervals: eth0 busy throughout, its rx counter reset at 4 (the agent's delta after a reset
 * is the new counter value, CTR3: 3 instead of a million), `old` gone after 3, `new` from 6, and
 * `ns/veth0` idle (no row) in 5 and 6 between busy intervals.
 */
const SEQ: Sample[] = Array.from({ length: 10 }, (_, i) => {
  const k = i + 1;
  const ifaces: Record<string, Deltas> = {
    eth0: { rxPackets: k === 4 ? 3 : 1_000_000 + k, rxBytes: 1500 * k, txDropped: k % 2 },
  };
  if (k <= 3) ifaces.old = { txPackets: 10 * k };
  if (k >= 6) ifaces.new = { rxPackets: 7 * k, rxDropped: 1 };
  if (k !== 5 && k !== 6) ifaces['ns/veth0'] = { txPackets: k, txBytes: 100 * k };
  return at(k, ifaces);
});

/** The windows of `size` samples a live judge merges, oldest window first. */
const slide = (samples: readonly Sample[], size: number) =>
  samples.map((_, i) => samples.slice(Math.max(0, i + 1 - size), i + 1));

describe('running window (WIN6: the same merge, kept as running sums)', () => {
  it('WIN6: sliding over a reset, an interface that comes and one that goes equals mergeSamples at every step', () => {
    const running = createRunningWindow();
    for (const w of slide(SEQ, 3)) expect(running.merge(w)).toEqual(mergeSamples(w));
    const last = running.merge(SEQ.slice(-3))!;
    expect(last.ifaces.old).toBeUndefined();
    expect(last.ifaces.new?.[1]).toBe(7 * (8 + 9 + 10));
  });

  it('WIN6: the rows of an earlier window are not written when the window moves on', () => {
    const running = createRunningWindow();
    const kept = running.merge(SEQ.slice(0, 3))!;
    const copy = structuredClone(kept);
    for (const w of slide(SEQ, 3).slice(3)) running.merge(w);
    expect(kept).toEqual(copy);
  });

  it('WIN6: a window that does not continue the last one (a seek, unsorted, shrinking, empty) is merged again', () => {
    const running = createRunningWindow();
    const windows = [
      SEQ.slice(0, 5),
      SEQ.slice(7, 10),
      [SEQ[9]!, SEQ[8]!, SEQ[7]!], // the same window in another order
      SEQ.slice(8, 10),
      SEQ.slice(2, 4),
      [],
      SEQ.slice(1, 3),
      SEQ.slice(1, 3),
    ];
    for (const w of windows) expect(running.merge(w)).toEqual(mergeSamples(w));
  });

  it('WIN6: counters that cannot be summed exactly (a wrapped u64, a fraction, -0) give what mergeSamples gives', () => {
    const running = createRunningWindow();
    const odd = SEQ.map((s, i) => {
      const weird = [2 ** 64 - 5, 0.1, -0][i % 3]!;
      return i === 3 || i === 5 || i === 7
        ? { ...s, ifaces: { ...s.ifaces, eth0: s.ifaces.eth0!.with(1, weird) } }
        : s;
    });
    for (const w of slide(odd, 3)) {
      const got = running.merge(w)!;
      const want = mergeSamples(w)!;
      expect(got).toEqual(want);
      // toEqual tells -0 from 0; Object.is on every number says the sums are the same numbers.
      for (const id in want.ifaces)
        expect(want.ifaces[id]!.filter((v, k) => !Object.is(got.ifaces[id]![k], v))).toEqual([]);
    }
  });
});
