/**
 * The kernel files a sample reads, one function each: a namespace's /proc/PID/net/dev, snmp and
 * netstat (and the protocol reader's conntrack and arp) through kept descriptors (FileReader),
 * the host's softnet_stat and sysctls. Reading and parsing only: what to read when is
 * counter-reader.ts's job.
 */
import { parseSnmp } from '../parse/snmp.ts';
import { parseOnlineCpus, parseSoftnet, type SoftnetRow, softnetLacksCpuIds } from '../parse/softnet.ts';
import type { NsEntry } from '../discovery/namespaces.ts';
import type { Counter } from '../util/counter.ts';
import type { KeptBytes } from '../util/kept-bytes.ts';
import { readlinkSync } from 'node:fs';
import {
  nsInodeFromLink,
  readBytes,
  RefusedFile,
  readText,
  readTextOrNull,
  reportRefusal,
  seqWholeBelow,
  WHOLE_ON_SHORT_READ,
} from '../util/procfs.ts';

/** Where sample reads go: kept descriptors (OpenFiles) or plain open-read-close. */
export interface FileReader {
  read(path: string, maxBytes?: number): string;
  /**
   * Bytes in a shared buffer, valid until the next read. `onOpen` runs when a descriptor was
   * newly opened for this read, and fails the read by throwing.
   */
  readBytes(
    path: string,
    maxBytes?: number,
    onOpen?: () => void,
    dev?: number,
    /** Kept descriptors only: a short read leaving less than this is the whole file (procfs.ts). */
    wholeBelow?: number,
  ): Buffer;
  readOrNull(path: string, maxBytes?: number, dev?: number, wholeBelow?: number): string | null;
}

export const DIRECT: FileReader = {
  read: (path, maxBytes) => readText(path, maxBytes),
  readBytes: (path, maxBytes, onOpen) => {
    const bytes = readBytes(path, maxBytes);
    onOpen?.();
    return bytes;
  },
  readOrNull: (path, maxBytes) => readTextOrNull(path, maxBytes),
};

/**
 * The per-sample reads of one namespace: /proc/PID/net/dev (and snmp, netstat) of our holder
 * living in it (the agent itself for the host). No process is spawned per sample: design.md
 * measured spawning `ip -s -j link` per namespace at ~100x the cost of these reads.
 */
export function netDir(procRoot: string, ns: NsEntry): string | null {
  return ns.kind === 'host' ? `${procRoot}/self/net` : ns.pid === null ? null : `${procRoot}/${ns.pid}/net`;
}

/** A /proc/net/dev line: a 15-byte name padded, a colon and 16 counters of up to 20 digits. */
export const NETDEV_LINE_MAX_BYTES = 360;

/** The read cap of a namespace's net/dev: its two header lines and `maxIfaces` interfaces. */
export function netDevMaxBytes(maxIfaces: number): number {
  return (maxIfaces + 2) * NETDEV_LINE_MAX_BYTES;
}

/**
 * Descriptors are kept open (sampling/counter-reader.ts reads net/dev through them): the holder
 * pins its namespace anyway, and the collector closes a namespace's files with its holder. A kept
 * descriptor reads the namespace it was opened in, whatever later happens to the pid; so right
 * after an open the pid's namespace is checked against the inode discovery saw (SPEC SEC1): a
 * pid that died and was reused by a process in another namespace cannot swap one namespace's
 * counters for another's.
 */
/** Throws unless the process behind `ns` still lives in the namespace of `ns.inode`. */
export function checkNamespace(procRoot: string, ns: NsEntry): void {
  const pid = ns.kind === 'host' ? 'self' : String(ns.pid);
  let inode: number | null = null;
  try {
    inode = nsInodeFromLink(readlinkSync(`${procRoot}/${pid}/ns/net`));
  } catch {}
  if (inode !== ns.inode) throw new Error(`process ${pid} is no longer in namespace ${ns.inode}`);
}

/** snmp and netstat are ~5 KB each; they do not grow with interfaces. */
const SNMP_MAX_BYTES = 256 * 1024;

/**
 * A file of a namespace's /proc/PID/net (`snmp`, `stat/nf_conntrack`, `arp`…) through `files`,
 * with the same pid check on open as net/dev: its bytes in the shared read buffer (valid until
 * the next read), or null when it cannot be read (a refusal is logged once, as readTextOrNull
 * does). `wholeBelow` as OpenFiles.readBytes (SPEC READ1).
 */
export function readNsBytes(
  files: FileReader,
  procRoot: string,
  ns: NsEntry,
  file: string,
  maxBytes: number,
  wholeBelow = 0,
): Buffer | null {
  const paths = nsPaths(procRoot, ns);
  if (paths === null) return null;
  let path = paths.files.get(file);
  if (path === undefined) {
    path = `${paths.dir}/${file}`;
    paths.files.set(file, path);
  }
  try {
    return files.readBytes(path, maxBytes, paths.check, undefined, wholeBelow);
  } catch (e) {
    if (e instanceof RefusedFile) reportRefusal(e);
    return null;
  }
}

/**
 * A namespace's /proc/PID/net paths and its pid check, made once per namespace and holder rather
 * than a string and a closure per file per sample (the per-sample reads of ~100 namespaces made
 * them tens of thousands of times a minute: garbage, and page faults for the young generation).
 */
interface NsPaths {
  procRoot: string;
  pid: number | null;
  dir: string;
  check: () => void;
  files: Map<string, string>;
}
const pathsByNs = new WeakMap<NsEntry, NsPaths>();

function nsPaths(procRoot: string, ns: NsEntry): NsPaths | null {
  const kept = pathsByNs.get(ns);
  if (kept !== undefined && kept.pid === ns.pid && kept.procRoot === procRoot) return kept;
  const dir = netDir(procRoot, ns);
  if (dir === null) return null;
  const paths: NsPaths = {
    procRoot,
    pid: ns.pid,
    dir,
    check: () => checkNamespace(procRoot, ns),
    files: new Map(),
  };
  pathsByNs.set(ns, paths);
  return paths;
}

/** readNsBytes as text. */
export function readNsText(
  files: FileReader,
  procRoot: string,
  ns: NsEntry,
  file: string,
  maxBytes: number,
  wholeBelow = 0,
): string | null {
  return readNsBytes(files, procRoot, ns, file, maxBytes, wholeBelow)?.toString('latin1') ?? null;
}

/**
 * One of a namespace's SNMP files: `snmp` (Ip, Udp, Tcp) or `netstat` (IpExt, TcpExt). When it
 * reads byte for byte as the bytes `kept` from the previous read, `previous` (the counters parsed
 * from them) is handed back as it is: no string, no parse, and the diff skips it by identity.
 */
export function readNsMib(
  files: FileReader,
  procRoot: string,
  ns: NsEntry,
  file: 'snmp' | 'netstat',
  kept?: KeptBytes,
  previous?: Map<string, Counter>,
): Map<string, Counter> {
  // single_open files: one read (SPEC READ1).
  const bytes = readNsBytes(files, procRoot, ns, file, SNMP_MAX_BYTES, WHOLE_ON_SHORT_READ);
  if (bytes === null) {
    kept?.reset();
    return new Map();
  }
  if (kept && previous && kept.same(bytes)) return previous;
  kept?.keep(bytes);
  return parseSnmp(bytes.toString('latin1'));
}

/** One ~150-byte line per CPU: room for 8192 CPUs. */
const SOFTNET_MAX_BYTES = 1024 * 1024;

/** /proc/stat carries one `intr` line of every IRQ count: large on big hosts. */
const PROC_STAT_MAX_BYTES = 4 * 1024 * 1024;

/** A softnet_stat line: at most 15 columns of `%08x ` (135 bytes); 256 leaves room for more. */
const SOFTNET_WHOLE_BELOW = seqWholeBelow(256);

/**
 * Global, identical in every namespace: read once per sample. Kernels before 5.10 (RHEL 8,
 * Ubuntu 20.04) print no CPU id: the online CPUs are then read from /proc/stat, so an offline
 * CPU does not shift every later row onto the wrong CPU.
 */
export function readSoftnet(files: FileReader, procRoot: string): SoftnetRow[] {
  const text =
    files.readOrNull(`${procRoot}/net/softnet_stat`, SOFTNET_MAX_BYTES, undefined, SOFTNET_WHOLE_BELOW) ?? '';
  if (!softnetLacksCpuIds(text)) return parseSoftnet(text);
  const stat = files.readOrNull(`${procRoot}/stat`, PROC_STAT_MAX_BYTES, undefined, WHOLE_ON_SHORT_READ);
  return parseSoftnet(text, parseOnlineCpus(stat ?? ''));
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

/**
 * Samples between two looks for a sysctl this kernel lacks: flow_limit_cpu_bitmap without
 * CONFIG_NET_FLOW_LIMIT (this machine's 6.18), nf_conntrack_max before nf_conntrack loads. A
 * failed open walks /proc/sys each time; a file that appears (a module loaded) is seen within this.
 */
export const MISSING_SYSCTL_EVERY = 60;

/**
 * The knobs, read every sample through kept descriptors (SPEC READ1: one read each). One that
 * could not be read is left out of the sample and looked for again every MISSING_SYSCTL_EVERY
 * samples (SPEC READ3).
 */
export class SysctlReader {
  private readonly paths: readonly string[];
  /** Per sysctl: the sample from which it is looked for again (0: every sample). */
  private readonly retryAt: number[];
  private samples = 0;

  constructor(
    private readonly files: FileReader,
    procRoot: string,
  ) {
    this.paths = SYSCTLS.map((name) => `${procRoot}/sys/${name.replaceAll('.', '/')}`);
    this.retryAt = SYSCTLS.map(() => 0);
  }

  read(): Record<string, number> {
    const now = this.samples++;
    const out: Record<string, number> = {};
    for (let i = 0; i < SYSCTLS.length; i++) {
      if (now < this.retryAt[i]!) continue;
      const name = SYSCTLS[i]!;
      // A sysctl is formatted whole by one read (SPEC READ1).
      const text = this.files.readOrNull(this.paths[i]!, undefined, undefined, WHOLE_ON_SHORT_READ);
      this.retryAt[i] = text === null ? now + MISSING_SYSCTL_EVERY : 0;
      if (text === null) continue;
      const value = parseSysctl(name, text);
      if (value !== null) out[name] = value;
    }
    return out;
  }
}

/** A sysctl's text against its exact format: a decimal, or for the bitmap a kernel CPU mask. */
export function parseSysctl(name: string, text: string): number | null {
  const t = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (name.endsWith('_bitmap')) {
    if (t === '') return 0;
    if (!/^[0-9a-f]{1,8}(?:,[0-9a-f]{8}){0,1023}$/.test(t)) return null;
    const value = Number.parseInt(t.replaceAll(',', ''), 16);
    return Number.isFinite(value) ? value : null;
  }
  return /^-?\d{1,19}$/.test(t) ? Number(t) : null;
}

/**
 * How many interfaces a namespace has, from its net/dev read with the cap of `maxIfaces`
 * interfaces: 'over' when there are more (the read stops at the cap, so a namespace with a
 * million interfaces costs no more than one at the budget), null when it cannot be read.
 */
export function countNetDevIfaces(procRoot: string, ns: NsEntry, maxIfaces: number): number | 'over' | null {
  const dir = netDir(procRoot, ns);
  if (dir === null) return null;
  let bytes: Buffer;
  try {
    bytes = readBytes(`${dir}/dev`, netDevMaxBytes(maxIfaces));
  } catch (e) {
    return e instanceof RefusedFile && e.tooLarge ? 'over' : null;
  }
  let lines = 0;
  for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) lines++;
  const ifaces = Math.max(0, lines - 2);
  return ifaces > maxIfaces ? 'over' : ifaces;
}
