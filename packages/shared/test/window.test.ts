import { describe, expect, it } from 'vitest';
import { mergeSamples, SampleSchema } from '../src/index.ts';
import { sample, T0 } from './fixtures/samples.ts';

describe('windows', () => {
  const a = sample({
    t: T0 + 1000,
    elapsedMs: 1000,
    ifaces: { eth0: { rxPackets: 10, rxDropped: 1 }, 'ns/veth0': { txPackets: 5 } },
    softnet: [
      { cpu: 0, processed: 10, dropped: 1, backlogLen: 3 },
      { cpu: 1, processed: 20, timeSqueeze: 2, backlogLen: 0 },
    ],
    qdiscs: { eth0: { kind: 'tbf', packets: 7, drops: 2, qlen: 9 } },
    snmp: { '': { 'Udp.NoPorts': 1 }, ns: { 'Ip.InDiscards': 4 } },
    drops: [{ reason: 'CPU_BACKLOG', location: 'enqueue_to_backlog', cpu: 0, count: 1 }],
    sysctls: { 'net.core.netdev_max_backlog': 1000, 'net.core.netdev_budget': 300 },
    tracing: { state: 'on', detail: null, lost: 3 },
  });
  const b = sample({
    t: T0 + 2000,
    elapsedMs: 1000,
    ifaces: { eth0: { rxPackets: 5, rxDropped: 2 } },
    softnet: [{ cpu: 0, processed: 1, dropped: 2, backlogLen: null }],
    qdiscs: { eth0: { kind: 'tbf', packets: 3, drops: 1, qlen: 1 } },
    snmp: { '': { 'Udp.NoPorts': 2, 'Udp.InErrors': 1 } },
    drops: [
      { reason: 'CPU_BACKLOG', location: 'enqueue_to_backlog', cpu: 0, count: 2 },
      { reason: 'CPU_BACKLOG', location: 'enqueue_to_backlog', cpu: 1, count: 5 },
    ],
    sysctls: { 'net.core.netdev_max_backlog': 2000 },
    tracing: { state: 'off', detail: 'stopped', lost: 1 },
  });

  it('WIN1: deltas add up: interface rows, softnet per CPU, qdiscs, SNMP, drops by (reason, location, cpu), elapsed', () => {
    const w = mergeSamples([a, b])!;
    expect(w.ifaces.eth0?.slice(0, 4)).toEqual([0, 15, 0, 3]);
    expect(w.ifaces['ns/veth0']?.[9]).toBe(5);
    expect(w.softnet.map((s) => [s.cpu, s.processed, s.dropped, s.timeSqueeze])).toEqual([
      [0, 11, 3, 0],
      [1, 20, 0, 2],
    ]);
    expect(w.qdiscs.eth0).toMatchObject({ packets: 10, drops: 3 });
    expect(w.snmp).toEqual({ '': { 'Udp.NoPorts': 3, 'Udp.InErrors': 1 }, ns: { 'Ip.InDiscards': 4 } });
    expect(w.drops).toEqual([
      { reason: 'CPU_BACKLOG', location: 'enqueue_to_backlog', cpu: 0, count: 3 },
      { reason: 'CPU_BACKLOG', location: 'enqueue_to_backlog', cpu: 1, count: 5 },
    ]);
    expect(w.elapsedMs).toBe(2000);
    expect(w.tracing.lost).toBe(4);
  });

  it('WIN2: gauges, sysctls and the tracing state are the newest; t is the last t', () => {
    const w = mergeSamples([a, b])!;
    expect(w.t).toBe(T0 + 2000);
    expect(w.qdiscs.eth0?.qlen).toBe(1);
    expect(w.softnet[0]?.backlogLen).toBe(3);
    expect(w.sysctls).toEqual({ 'net.core.netdev_max_backlog': 2000, 'net.core.netdev_budget': 300 });
    expect(w.tracing.state).toBe('off');
  });

  it('WIN3: order does not matter, no samples is null, one sample is itself, the result is a valid Sample', () => {
    expect(mergeSamples([b, a])).toEqual(mergeSamples([a, b]));
    expect(mergeSamples([])).toBeNull();
    expect(mergeSamples([a])).toEqual(a);
    expect(SampleSchema.safeParse(mergeSamples([a, b])).success).toBe(true);
  });
});
