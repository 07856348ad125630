import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * What the benches that start hub processes share: the node flags for those processes and the CPU
 * time of a process from /proc (what a loaded machine does not inflate, unlike wall time).
 */

/**
 * Extra node flags for the hub processes only, e.g. `BENCH_NODE_FLAGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof"` (a profile per hub process, written when the bench stops it).
 */
export const HUB_NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);

export const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of a process, in clock ticks (fields after the ")" of comm: utime #14, stime #15). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}
