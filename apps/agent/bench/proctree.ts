import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc/PID/stat times are in clock ticks (getconf CLK_TCK; 100 on Linux everywhere). */
const TICKS_PER_SECOND = 100;

interface Stat {
  ppid: number;
  /** utime + stime: the process itself. */
  ownMs: number;
  /** cutime + cstime: the children it has reaped. */
  reapedMs: number;
}

function readStat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: fields start after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ms = (i: number) => (Number(f[i]) * 1000) / TICKS_PER_SECOND;
    return { ppid: Number(f[1]), ownMs: ms(11) + ms(12), reapedMs: ms(13) + ms(14) };
  } catch {
    return null;
  }
}

/**
 * The process's own CPU by thread, in ms: the main thread's user and system time (JavaScript, and
 * the kernel generating what it reads) apart from every other thread (V8's compiler and garbage
 * collector helpers, libuv's pool).
 */
export function threadCpuMs(pid: number): { mainUserMs: number; mainSystemMs: number; otherMs: number } {
  const out = { mainUserMs: 0, mainSystemMs: 0, otherMs: 0 };
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {}
  for (const tid of tids) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      const user = (Number(f[11]) * 1000) / TICKS_PER_SECOND;
      const system = (Number(f[12]) * 1000) / TICKS_PER_SECOND;
      if (Number(tid) === pid) {
        out.mainUserMs = user;
        out.mainSystemMs = system;
      } else out.otherMs += user + system;
    } catch {}
  }
  return out;
}

/**
 * The process's minor page faults so far (/proc/PID/stat minflt): each is a page touched for the
 * first time since it was mapped or given back (V8's heap pages, malloc's), and on this VM each
 * costs ~7-14 µs of system time.
 */
export function minorFaults(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[7]);
  } catch {
    return 0;
  }
}

function allStats(): Map<number, Stat> {
  const stats = new Map<number, Stat>();
  for (const entry of readdirSync('/proc')) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const s = readStat(Number(entry));
    if (s) stats.set(Number(entry), s);
  }
  return stats;
}

function descendants(root: number, stats: Map<number, Stat>): number[] {
  const kids = new Map<number, number[]>();
  for (const [pid, s] of stats) {
    const list = kids.get(s.ppid);
    if (list) list.push(pid);
    else kids.set(s.ppid, [pid]);
  }
  const out: number[] = [];
  const stack = [...(kids.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    out.push(pid);
    stack.push(...(kids.get(pid) ?? []));
  }
  return out;
}

/**
 * CPU in ms of a process and everything under it: `selfMs` is its own time; `childrenMs` is what
 * it reaped (every `ip`, `tc`, `nft` run to completion) plus every live descendant (holders,
 * `ip monitor`, trace_pipe reader) with what they reaped. A descendant exiting between two
 * readings moves from one term to another, both inside `childrenMs`.
 */
export function treeCpuMs(root: number): { selfMs: number; childrenMs: number } {
  const stats = allStats();
  const self = stats.get(root);
  let children = self?.reapedMs ?? 0;
  for (const pid of descendants(root, stats)) {
    const s = stats.get(pid);
    children += (s?.ownMs ?? 0) + (s?.reapedMs ?? 0);
  }
  return { selfMs: self?.ownMs ?? 0, childrenMs: children };
}

function statusKb(pid: number, field: string): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * RSS of the process itself (and its anonymous and file-backed parts: the file-backed part is
 * mostly the node binary's pages, shared with every node process), and PSS of its descendants
 * (shared pages shared out).
 */
export function treeMemoryMb(root: number): {
  rssMb: number;
  anonMb: number;
  fileMb: number;
  childrenPssMb: number;
  children: number;
} {
  const pids = descendants(root, allStats());
  let pss = 0;
  for (const pid of pids) {
    try {
      pss += Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {}
  }
  return {
    rssMb: statusKb(root, 'VmRSS') / 1024,
    anonMb: statusKb(root, 'RssAnon') / 1024,
    fileMb: statusKb(root, 'RssFile') / 1024,
    childrenPssMb: pss / 1024,
    children: pids.length,
  };
}
