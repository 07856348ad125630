import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { unnamedNetnsName } from '@hopwatch/shared/ids';
import { nsInodeFromLink } from '../util/procfs.ts';

export type NsKind = 'host' | 'named' | 'unnamed';

/** A network namespace the agent watches. */
export interface NsEntry {
  /** '' for the host, the `ip netns` name, or `ns-<inode>`. */
  name: string;
  inode: number;
  kind: NsKind;
  /**
   * The process whose /proc/PID/net/* and /proc/PID/root/sys are read: our holder (null until it
   * runs; the agent itself for the host). Never a tenant's process on a live host: see holders.ts.
   */
  pid: number | null;
  /** Unnamed: a process found living in it (the lowest pid), only used to enter it once. */
  via: number | null;
  /** st_dev of the sysfs at /proc/PID/root/sys (the holder's own mount); null: not checked. */
  sysDev: number | null;
}

export interface NsSources {
  procRoot: string;
  /** Where `ip netns` keeps its bind mounts (/run/netns). */
  netnsDir: string;
}

/** The agent's own namespace is "the host": /proc/self/ns/net. */
export function hostInode(procRoot: string): number | null {
  try {
    return nsInodeFromLink(readlinkSync(`${procRoot}/self/ns/net`));
  } catch {
    return null;
  }
}

/** Names under /run/netns: a readdir, cheap enough to compare every sample. */
export function listNetnsNames(netnsDir: string): string[] {
  try {
    return readdirSync(netnsDir).sort();
  } catch {
    return [];
  }
}

/** The nsfs inode behind /run/netns/NAME (stat follows the bind mount); null if unreadable. */
export function namedInode(netnsDir: string, name: string): number | null {
  try {
    return statSync(`${netnsDir}/${name}`).ino;
  } catch {
    return null;
  }
}

function readNsLink(procRoot: string, pid: string): number | null {
  try {
    return nsInodeFromLink(readlinkSync(`${procRoot}/${pid}/ns/net`));
  } catch {
    return null; // the process exited meanwhile
  }
}

/** A full re-read of every process's namespace link, for processes that setns/unshare late. */
const FULL_SCAN_EVERY_MS = 30_000;

/**
 * Every namespace some process lives in: inode → the lowest pid found there. One readlink per
 * process costs ~1.7 ms with 200 processes, so a pid's namespace is cached once two scans in a
 * row agree (a process found between fork and unshare(CLONE_NEWNET), `unshare -n`, is read again
 * on the next scan); only new pids are read, plus a full re-read every FULL_SCAN_EVERY_MS.
 */
export class ProcessNsScanner {
  private readonly known = new Map<string, { inode: number; confirmed: boolean; scan: number }>();
  private lastFull = -Infinity;
  /** Which scan this is: entries not seen by it are of pids gone (no set of live pids made). */
  private scans = 0;

  constructor(
    private readonly procRoot: string,
    /** Our own holders live in the namespaces they hold: they must not keep one "in use". */
    private readonly ignore: (pid: number) => boolean = () => false,
  ) {}

  scan(now = performance.now()): Map<number, number> {
    const found = new Map<number, number>();
    let entries: string[];
    try {
      entries = readdirSync(this.procRoot);
    } catch {
      return found;
    }
    const full = now - this.lastFull >= FULL_SCAN_EVERY_MS;
    if (full) this.lastFull = now;
    const scan = ++this.scans;
    // Indexed loops and forEach: this runs every two seconds over every process, in an agent
    // without the optimising compiler, where each for-of step makes an iterator result.
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const c = entry.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      let cached = this.known.get(entry);
      if (!cached?.confirmed || full) {
        const inode = readNsLink(this.procRoot, entry);
        if (inode === null) {
          this.known.delete(entry);
          continue;
        }
        cached = { inode, confirmed: cached?.inode === inode, scan };
        this.known.set(entry, cached);
      }
      cached.scan = scan;
      const pid = Number(entry);
      if (this.ignore(pid)) continue;
      const seen = found.get(cached.inode);
      if (seen === undefined || pid < seen) found.set(cached.inode, pid);
    }
    this.known.forEach((cached, pid, known) => {
      if (cached.scan !== scan) known.delete(pid);
    });
    return found;
  }
}

/** One uncached scan (tests, one-off use). */
export function scanProcessNamespaces(procRoot: string): Map<number, number> {
  return new ProcessNsScanner(procRoot).scan();
}

/**
 * All namespaces, deduplicated by inode: the host first, then named ones (a namespace with
 * several names keeps the first in sort order), then unnamed ones found through processes.
 * `holders` supplies pids for named namespaces where one of our holder processes lives.
 */
export function listNamespaces(
  src: NsSources,
  processNs: Map<number, number>,
  match: (name: string) => boolean,
): NsEntry[] {
  const out: NsEntry[] = [];
  const seen = new Set<number>();
  const host = hostInode(src.procRoot);
  if (host !== null) {
    seen.add(host);
    if (match('')) out.push({ name: '', inode: host, kind: 'host', pid: null, via: null, sysDev: null });
  }
  for (const name of listNetnsNames(src.netnsDir)) {
    const inode = namedInode(src.netnsDir, name);
    if (inode === null || seen.has(inode)) continue;
    seen.add(inode);
    if (match(name)) out.push({ name, inode, kind: 'named', pid: null, via: null, sysDev: null });
  }
  for (const [inode, pid] of [...processNs].sort((a, b) => a[0] - b[0])) {
    if (seen.has(inode)) continue;
    seen.add(inode);
    const name = unnamedNetnsName(inode);
    if (match(name)) out.push({ name, inode, kind: 'unnamed', pid: null, via: pid, sysDev: null });
  }
  return out;
}
