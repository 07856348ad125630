import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { unnamedNetnsName } from '@hopwatch/shared';
import { nsInodeFromLink } from '../util/procfs.ts';

export type NsKind = 'host' | 'named' | 'unnamed';

/** A network namespace the agent watches. */
export interface NsEntry {
  /** '' for the host, the `ip netns` name, or `ns-<inode>`. */
  name: string;
  inode: number;
  kind: NsKind;
  /** A process living in it, for /proc/PID/net/*: null for a named namespace until a holder runs. */
  pid: number | null;
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

/**
 * Every namespace some process lives in: inode → the lowest pid found there. Reads one symlink
 * per process (~0.4 ms for 80 processes here), so it runs on a timer, not every sample.
 */
export function scanProcessNamespaces(procRoot: string): Map<number, number> {
  const found = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch {
    return found;
  }
  for (const entry of entries) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(entry);
    let inode: number | null;
    try {
      inode = nsInodeFromLink(readlinkSync(`${procRoot}/${entry}/ns/net`));
    } catch {
      continue; // the process exited meanwhile
    }
    if (inode === null) continue;
    const seen = found.get(inode);
    if (seen === undefined || pid < seen) found.set(inode, pid);
  }
  return found;
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
    if (match('')) out.push({ name: '', inode: host, kind: 'host', pid: null });
  }
  for (const name of listNetnsNames(src.netnsDir)) {
    const inode = namedInode(src.netnsDir, name);
    if (inode === null || seen.has(inode)) continue;
    seen.add(inode);
    if (match(name)) out.push({ name, inode, kind: 'named', pid: null });
  }
  for (const [inode, pid] of [...processNs].sort((a, b) => a[0] - b[0])) {
    if (seen.has(inode)) continue;
    seen.add(inode);
    const name = unnamedNetnsName(inode);
    if (match(name)) out.push({ name, inode, kind: 'unnamed', pid });
  }
  return out;
}
