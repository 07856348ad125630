import { HOP_STATUSES } from '@hopwatch/shared/protocol/constants';
import type { HopStat } from './evaluate.ts';

/**
 * Changed hop stats in columns: on a busy host every hop changes every second, and a thousand
 * small objects cost the UI thread more to receive than two typed arrays it gets by transfer.
 */
export interface PackedStats {
  ids: string[];
  status: Uint8Array;
  /** NUMS_PER_HOP numbers per hop: rxPps, txPps, drops, dropsPerSec, lossRatio, pathIndex (0 = none). */
  nums: Float64Array;
  rules: string[];
  notes: string[];
}

const NUMS_PER_HOP = 6;
const STATUS_INDEX = new Map(HOP_STATUSES.map((s, i) => [s, i]));

export function packStats(entries: readonly [string, HopStat][]): PackedStats {
  const status = new Uint8Array(entries.length);
  const nums = new Float64Array(entries.length * NUMS_PER_HOP);
  const ids: string[] = [];
  const rules: string[] = [];
  const notes: string[] = [];
  entries.forEach(([id, st], i) => {
    ids.push(id);
    rules.push(st.rules);
    notes.push(st.notes);
    status[i] = STATUS_INDEX.get(st.status) ?? 0;
    nums.set(
      [st.rxPps, st.txPps, st.drops, st.dropsPerSec, st.lossRatio, st.pathIndex ?? 0],
      i * NUMS_PER_HOP,
    );
  });
  return { ids, status, nums, rules, notes };
}

export function unpackStats(p: PackedStats): [string, HopStat][] {
  return p.ids.map((id, i) => {
    const o = i * NUMS_PER_HOP;
    const pathIndex = p.nums[o + 5]!;
    return [
      id,
      {
        status: HOP_STATUSES[p.status[i]!] ?? 'idle',
        rxPps: p.nums[o]!,
        txPps: p.nums[o + 1]!,
        drops: p.nums[o + 2]!,
        dropsPerSec: p.nums[o + 3]!,
        lossRatio: p.nums[o + 4]!,
        pathIndex: pathIndex === 0 ? null : pathIndex,
        rules: p.rules[i]!,
        notes: p.notes[i] ?? '',
      },
    ];
  });
}

/** Buffers to transfer with the message (zero-copy to the UI thread). */
export const transferOf = (p: PackedStats): ArrayBuffer[] => [
  p.status.buffer as ArrayBuffer,
  p.nums.buffer as ArrayBuffer,
];
