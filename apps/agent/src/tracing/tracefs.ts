import { readdirSync, readlinkSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { readTextOrNull } from '../util/procfs.ts';

/** Instances we create are `hopwatch-<pid>` or `hopwatch-<pid>-<n>` (several collectors in one process). */
export const INSTANCE_PREFIX = 'hopwatch-';
const INSTANCE_RE = /^hopwatch-(\d+)(?:-\d+)?$/;
/** rmdir returns EBUSY while any file of the instance is open; a killed reader closes within ms. */
const RMDIR_RETRY_MS = 1500;
const RMDIR_STEP_MS = 10;
const EVENT = 'events/skb/kfree_skb';

/** The tracefs mount under a sys root: /sys/kernel/tracing, or the old debugfs location. */
export function findTracefs(sysRoot: string): string | null {
  for (const dir of [`${sysRoot}/kernel/tracing`, `${sysRoot}/kernel/debug/tracing`]) {
    // stat, not existsSync: access(2) checks the real uid without capabilities, so an agent
    // running as its own user with CAP_DAC_READ_SEARCH would never find tracefs.
    if (isDirectory(`${dir}/instances`)) return dir;
  }
  return null;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function writeQuiet(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch {
    // teardown is best effort: each step that fails leaves the next to try
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Teardown order from reference/drop-causes.md §5.4: stop the ring, disable the event, clear its
 * filter, then rmdir (retrying while a reader is still closing its file descriptor). Synchronous
 * so it also runs from a process 'exit' handler. Returns an error in words or null.
 */
export function removeInstance(dir: string): string | null {
  writeQuiet(`${dir}/tracing_on`, '0');
  writeQuiet(`${dir}/${EVENT}/enable`, '0');
  writeQuiet(`${dir}/${EVENT}/filter`, '0');
  const deadline = Date.now() + RMDIR_RETRY_MS;
  for (;;) {
    try {
      rmdirSync(dir);
      return null;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return null;
      if (code !== 'EBUSY' || Date.now() > deadline) return `cannot remove tracefs instance ${dir}: ${code}`;
      sleepSync(RMDIR_STEP_MS);
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Instances a dead hopwatch left behind (crash, SIGKILL): their event is still armed and costs ~5 %. */
export function removeStaleInstances(tracefs: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(`${tracefs}/instances`);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = INSTANCE_RE.exec(name);
    if (!m || alive(Number(m[1]))) continue;
    const dir = `${tracefs}/instances/${name}`;
    // A reader the dead agent left behind (a `cat` without --pdeathsig) blocks on trace_pipe for
    // ever and keeps the instance busy: it goes first.
    killOpenersOf(dir);
    if (removeInstance(dir) === null) removed.push(name);
  }
  return removed;
}

/** SIGKILL every process with a file of `dir` open. Only used on instances whose owner is dead. */
function killOpenersOf(dir: string): void {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    const opens = fds.some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${dir}/`);
      } catch {
        return false;
      }
    });
    if (opens) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {}
    }
  }
}

/** Online CPUs that have a per_cpu directory in the instance. */
export function instanceCpus(dir: string): number[] {
  try {
    return readdirSync(`${dir}/per_cpu`)
      .map((d) => /^cpu(\d+)$/.exec(d))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

export function readFormat(tracefs: string): string | null {
  return readTextOrNull(`${tracefs}/${EVENT}/format`);
}

export const KFREE_SKB = EVENT;
