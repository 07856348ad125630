import { parseNetDevBytes } from './parse/netdev.ts';
import { parseSnmp } from './parse/snmp.ts';
import { parseSoftnet, type SoftnetRow } from './parse/softnet.ts';
import type { NsEntry } from './discovery/namespaces.ts';
import type { Counter } from './util/counter.ts';
import { readBytes, readText, readTextOrNull } from './util/procfs.ts';

/** Where sample reads go: kept descriptors (OpenFiles) or plain open-read-close. */
export interface FileReader {
  read(path: string): string;
  /** Bytes in a shared buffer, valid until the next read. */
  readBytes(path: string): Buffer;
  readOrNull(path: string): string | null;
}

export const DIRECT: FileReader = { read: readText, readBytes, readOrNull: readTextOrNull };

/**
 * The per-sample reads of one namespace: /proc/PID/net/dev (and snmp, netstat) of a process
 * living in it (the agent itself for the host). No process is spawned per sample: design.md
 * measured spawning `ip -s -j link` per namespace at ~100x the cost of these reads.
 */
export function netDir(procRoot: string, ns: NsEntry): string | null {
  return ns.kind === 'host' ? `${procRoot}/self/net` : ns.pid === null ? null : `${procRoot}/${ns.pid}/net`;
}

/**
 * Kept descriptors pin their namespace, so an unnamed namespace (a container's, found through
 * one of its processes) is read with open-read-close: it must be free to vanish with its
 * processes. Host and named namespaces use kept descriptors; the collector closes a named
 * namespace's as soon as it leaves /run/netns.
 */
function readerFor(files: FileReader, ns: NsEntry): FileReader {
  return ns.kind === 'unnamed' ? DIRECT : files;
}

export function readNsDev(
  files: FileReader,
  procRoot: string,
  ns: NsEntry,
  previous?: ReadonlyMap<string, Counter[]>,
): Map<string, Counter[]> | { error: string } {
  const dir = netDir(procRoot, ns);
  if (dir === null) return { error: 'no process lives in it' };
  try {
    return parseNetDevBytes(readerFor(files, ns).readBytes(`${dir}/dev`), previous);
  } catch (e) {
    return { error: `cannot read ${dir}/dev: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

/** One of a namespace's SNMP files: `snmp` (Ip, Udp, Tcp) or `netstat` (IpExt, TcpExt). */
export function readNsMib(
  files: FileReader,
  procRoot: string,
  ns: NsEntry,
  file: 'snmp' | 'netstat',
): Map<string, Counter> {
  const dir = netDir(procRoot, ns);
  return dir === null ? new Map() : parseSnmp(readerFor(files, ns).readOrNull(`${dir}/${file}`) ?? '');
}

/** Global, identical in every namespace: read once per sample. */
export function readSoftnet(files: FileReader, procRoot: string): SoftnetRow[] {
  return parseSoftnet(files.readOrNull(`${procRoot}/net/softnet_stat`) ?? '');
}

/**
 * The knobs the backlog and budget findings quote. They live in the host namespace's /proc/sys
 * (a child namespace has no netdev_max_backlog). flow_limit_cpu_bitmap is a hex CPU mask,
 * reported as its number.
 */
export const SYSCTLS = [
  'net.core.netdev_max_backlog',
  'net.core.netdev_budget',
  'net.core.netdev_budget_usecs',
  'net.core.dev_weight',
  'net.core.flow_limit_cpu_bitmap',
  // Global, shared by every namespace: R12 (conntrack table full) and R14 (neighbour table overflow).
  'net.netfilter.nf_conntrack_max',
  'net.ipv4.neigh.default.gc_thresh3',
] as const;

export function readSysctls(files: FileReader, procRoot: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of SYSCTLS) {
    const text = files.readOrNull(`${procRoot}/sys/${name.replaceAll('.', '/')}`);
    if (text === null) continue;
    const value = name.endsWith('_bitmap')
      ? Number.parseInt(text.replace(/[,\s]/g, '') || '0', 16)
      : Number(text.trim());
    if (Number.isFinite(value)) out[name] = value;
  }
  return out;
}
