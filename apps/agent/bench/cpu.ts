import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc/PID/stat times are in clock ticks (getconf CLK_TCK; 100 on Linux everywhere). */
const TICKS_PER_SECOND = 100;

interface Stat {
  ppid: number;
  /** utime + stime of the process itself. */
  selfMs: number;
  /** cutime + cstime: children it has waited for. */
  reapedMs: number;
}

function readStat(pid: number | 'self'): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: fields start after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ms = (i: number) => (Number(f[i]) * 1000) / TICKS_PER_SECOND;
    return { ppid: Number(f[1]), selfMs: ms(11) + ms(12), reapedMs: ms(13) + ms(14) };
  } catch {
    return null;
  }
}

/**
 * CPU of this process and everything it spawned, in ms:
 * - this process: process.cpuUsage() (µs resolution);
 * - children it has reaped (every `ip`, `tc` it ran to completion): cutime+cstime of /proc/self/stat;
 * - children still running (holders, `ip monitor`, the tc readers, the trace_pipe reader):
 *   utime+stime of each /proc/PID/stat whose parent is us, plus what they reaped.
 * Children that exit between two readings move from the third term to the second.
 */
export function cpuWithChildrenMs(): { selfMs: number; childrenMs: number } {
  const u = process.cpuUsage();
  const self = readStat('self');
  let live = 0;
  for (const entry of readdirSync('/proc')) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const s = readStat(Number(entry));
    if (s && s.ppid === process.pid) live += s.selfMs + s.reapedMs;
  }
  return { selfMs: (u.user + u.system) / 1000, childrenMs: (self?.reapedMs ?? 0) + live };
}

/** Memory of the processes we spawned: RSS counts shared pages (libc, the cat binary) once per process, PSS shares them out. */
export function liveChildrenMemoryMb(): { rss: number; pss: number; count: number } {
  let rss = 0;
  let pss = 0;
  let count = 0;
  for (const entry of readdirSync('/proc')) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    if (readStat(Number(entry))?.ppid !== process.pid) continue;
    try {
      const text = readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8');
      rss += Number(/^Rss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
      pss += Number(/^Pss:\s+(\d+) kB/m.exec(text)?.[1] ?? 0);
      count++;
    } catch {}
  }
  return { rss: rss / 1024, pss: pss / 1024, count };
}
