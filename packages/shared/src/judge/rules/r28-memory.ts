import { withReason } from '../reasons.ts';
import { reasonLines } from './evidence.ts';
import type { Rule } from './types.ts';

const isMemory = withReason('NOMEM', 'PFMEMALLOC');

/**
 * R28 memory pressure: the kernel could not allocate for a packet (NOMEM) or kept emergency
 * reserves for memory reclaim (PFMEMALLOC). Host-wide, so on no hop. (PROTO_MEM, a protocol's
 * socket memory limit, is R17's.)
 */
export const r28Memory: Rule = {
  id: 'R28',
  name: 'Memory pressure',
  confirmed(ctx) {
    const count = ctx.reasons.available(isMemory);
    if (count <= 0) return;
    const { groups } = ctx.reasons.take(isMemory);
    ctx.findings.add({
      rule: 'R28',
      title: 'Packets dropped for lack of memory',
      severity: 'loss',
      hop: null,
      reason: groups[0]?.reason ?? 'NOMEM',
      count,
      evidence: reasonLines(groups),
      fix: 'The host is short of memory for packets: check free memory and fragmentation (`grep -E "MemFree|MemAvailable" /proc/meminfo`), raise vm.min_free_kbytes, lower socket buffer limits that let a few sockets take it all.',
      command: 'sysctl vm.min_free_kbytes',
    });
  },
};
