import { describe, expect, it } from 'vitest';
import {
  dropFilter,
  parseCpuStats,
  parseDropReasons,
  parseEventFields,
  parseTraceLine,
  stripOffset,
} from '../src/parse/tracefs.ts';
import { fixture } from './support/fixtures.ts';

const format = fixture('tracefs/kfree_skb.format');
const reasons = parseDropReasons(format);

describe('kfree_skb format', () => {
  it('TRC1: reason names come from the running kernel (CPU_BACKLOG is 71 on 6.18)', () => {
    expect(reasons.get(71)).toBe('CPU_BACKLOG');
    expect(reasons.get(2)).toBe('NOT_SPECIFIED');
    expect(reasons.get(64)).toBe('QDISC_DROP');
    expect(reasons.size).toBe(127);
    expect(parseEventFields(format)).toEqual(expect.arrayContaining(['skbaddr', 'location', 'reason']));
  });

  it('TRC2: the kernel filter rejects only non-drops the kernel knows, keeps NOT_SPECIFIED', () => {
    expect(dropFilter(reasons)).toBe(''); // 6.18 has no CONSUMED among kfree_skb reasons
    const older = format.replace(
      '{ 2, "NOT_SPECIFIED" }',
      '{ 0, "NOT_DROPPED_YET" }, { 1, "CONSUMED" }, { 2, "NOT_SPECIFIED" }',
    );
    expect(dropFilter(parseDropReasons(older))).toBe('reason != 0 && reason != 1');
  });
});

describe('trace_pipe lines', () => {
  const lines = fixture('tracefs/trace_pipe.txt').split('\n').filter(Boolean);

  it('TRC3: plain text lines give reason, function without offset, and CPU', () => {
    const parsed = lines.map((l) => parseTraceLine(l, reasons));
    expect(parsed[1]).toEqual({
      type: 'drop',
      cpu: 1,
      location: 'enqueue_to_backlog',
      reason: 'CPU_BACKLOG',
    });
    expect(parsed[0]).toEqual({ type: 'drop', cpu: 1, location: 'ip6_mc_input', reason: 'NOT_SPECIFIED' });
    const backlog = parsed.filter((p) => p?.type === 'drop' && p.reason === 'CPU_BACKLOG');
    expect(backlog).toHaveLength(19);
  });

  it('TRC4: LOST markers are recognised, not mistaken for drops', () => {
    const lost = lines.map((l) => parseTraceLine(l, reasons)).filter((p) => p?.type === 'lost');
    expect(lost).toEqual([{ type: 'lost', cpu: 1, count: 184 }]);
  });

  it('TRC5: options/fields lines (numeric reasons) are named through the format map', () => {
    const fields = fixture('tracefs/trace_pipe_fields.txt').split('\n').filter(Boolean);
    expect(parseTraceLine(fields[0]!, reasons)).toEqual({
      type: 'drop',
      cpu: 1,
      location: '__dev_queue_xmit',
      reason: 'QDISC_DROP',
    });
    expect(parseTraceLine(fields[1]!, reasons)).toMatchObject({
      location: 'neigh_invalidate',
      reason: 'NEIGH_FAILED',
    });
  });

  it('TRC6: subsystem reasons printed as hex stay visible; junk lines are ignored', () => {
    const ovs =
      '  handler-1 [000] ..s1. 1.0: kfree_skb: skbaddr=0 rx_sk=0 protocol=2048 location=ovs_dp_process_packet+0x1/0x2 reason: 0x30001';
    expect(parseTraceLine(ovs, reasons)).toMatchObject({
      reason: '0x30001',
      location: 'ovs_dp_process_packet',
    });
    expect(parseTraceLine('# tracer: nop', reasons)).toBeNull();
    expect(parseTraceLine('', reasons)).toBeNull();
    expect(stripOffset('0xffffffff81000000')).toBe('0xffffffff81000000');
  });

  it('TRC7: per-CPU stats give the overrun the sample reports as lost', () => {
    expect(parseCpuStats(fixture('tracefs/per_cpu_stats_cpu1'))).toEqual({ overrun: 78660, dropped: 0 });
    expect(parseCpuStats(fixture('tracefs/per_cpu_stats_cpu0'))).toEqual({ overrun: 0, dropped: 0 });
  });
});
