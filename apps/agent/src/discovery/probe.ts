import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { parseIpLinks, type IpLink } from '../parse/iplink.ts';
import { type IpRoute, parseForwarding, parseIpRoutes, parseNsidList } from '../parse/iproute.ts';
import { splitJsonDocuments } from '../parse/json.ts';
import { parseRpFilter } from '../proto/parse.ts';
import type { ExecResult } from '../util/exec.ts';
import { readTextOrNull } from '../util/procfs.ts';
import type { NsEntry } from './namespaces.ts';

export type Runner = (cmd: string, args: string[], stdin: string | null) => Promise<ExecResult>;

/** What one namespace looks like: links with addresses, routes, forwarding, its nsid table, RPS. */
export interface NsProbe {
  ns: NsEntry;
  links: IpLink[];
  routes: IpRoute[];
  forwarding: boolean;
  /**
   * Non-zero rp_filter by interface (and `all`), from the same `netconf show`: sent with every
   * sample as `nsproto.rpFilter` (R11), not part of the topology.
   */
  rpFilter: Record<string, number>;
  /** nsid → `ip netns` name (null when unnamed), as seen from this namespace. */
  nsids: Map<number, string | null>;
  /** rps_cpus of rx-0 by interface name, null when 0 or unknown. */
  rps: Map<string, string | null>;
  /** What the probe left out (SPEC SEC2, SEC3): counted in `topology.truncated`. */
  left: { ifaces: number; routes: number; addresses: number };
  /** Names of interfaces left out (not representable): the sampler ignores their rows. */
  ignored: string[];
}

/** Per-namespace and per-interface caps: a tenant may add addresses and routes without limit. */
export const MAX_ROUTES_PER_NS = 256;
export const MAX_ADDRESSES_PER_IFACE = 16;

/**
 * One `ip` process per namespace answers four questions in batch mode (`-b -`, `-force` so one
 * failing command does not stop the rest): links with details and addresses, main-table routes,
 * netconf (IPv4 forwarding and rp_filter), and the nsid table that turns a veth's link-netnsid into a namespace.
 */
const BATCH = 'addr show\nroute show\nnetconf show\nnetns list-id\n';

export function probeCommand(ns: NsEntry): { cmd: string; args: string[] } {
  const ip = ['-j', '-d', '-force', '-b', '-'];
  switch (ns.kind) {
    case 'host':
      return { cmd: 'ip', args: ip };
    case 'named':
      return { cmd: 'ip', args: ['-n', ns.name, ...ip] };
    case 'unnamed':
      return { cmd: 'nsenter', args: [`--net=/proc/${ns.pid}/ns/net`, 'ip', ...ip] };
    default: {
      const never: never = ns.kind;
      throw new Error(`unknown namespace kind ${never}`);
    }
  }
}

export async function probeNamespace(
  ns: NsEntry,
  run: Runner,
  roots: { procRoot: string; sysRoot: string },
  log?: (msg: string) => void,
): Promise<NsProbe | { error: string }> {
  if (ns.kind !== 'host' && ns.pid === null) return { error: `no process holds ${nsLabel(ns)}` };
  const { cmd, args } = probeCommand(ns);
  const r = await run(cmd, args, BATCH);
  const docs = splitJsonDocuments(r.stdout);
  if (docs.length === 0 || !Array.isArray(docs[0])) {
    const why = r.stderr.trim().split('\n')[0] || `exit code ${r.code}`;
    return { error: `cannot list interfaces of ${nsLabel(ns)}: ${why}` };
  }
  const left = { ifaces: 0, routes: 0, addresses: 0 };
  const ignored: string[] = [];
  const links: IpLink[] = [];
  for (const link of parseIpLinks(docs[0] ?? null)) {
    if (!isRepresentableIfname(link.name)) {
      ignored.push(link.name);
      left.ifaces++;
      continue;
    }
    if (link.addresses.length > MAX_ADDRESSES_PER_IFACE) {
      left.addresses += link.addresses.length - MAX_ADDRESSES_PER_IFACE;
      link.addresses = link.addresses.slice(0, MAX_ADDRESSES_PER_IFACE);
    }
    links.push(link);
  }
  fillParentBus(ns, links, roots);
  const shown = new Set(links.map((l) => l.name));
  const routes = parseIpRoutes(docs[1] ?? null).filter((r) => shown.has(r.dev));
  if (routes.length > MAX_ROUTES_PER_NS) {
    left.routes = routes.length - MAX_ROUTES_PER_NS;
    routes.length = MAX_ROUTES_PER_NS;
  }
  return {
    ns,
    links,
    routes,
    forwarding: parseForwarding(docs[2] ?? null),
    rpFilter: parseRpFilter(docs[2] ?? null),
    nsids: parseNsidList(docs[3] ?? null),
    rps: readRps(ns, links, roots, log),
    left,
    ignored,
  };
}

export function nsLabel(ns: { name: string }): string {
  return ns.name === '' ? 'the host namespace' : `namespace ${ns.name}`;
}

/**
 * sysfs shows the devices of the namespace it was mounted in, so a namespace's rps_cpus are
 * read through our holder's root, whose /sys is a sysfs the holder mounted in that namespace
 * (holders.ts) and whose device we noted. Never through a tenant's own process: its mount tree
 * is theirs (SPEC SEC1). The host's are read from the sysfs root. Every value must be a kernel
 * CPU mask, else it is logged once and left unknown.
 */
export function readRps(
  ns: NsEntry,
  links: IpLink[],
  roots: { procRoot: string; sysRoot: string },
  log?: (msg: string) => void,
  read: RpsRead = readTextOrNull,
): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const { base, dev } = sysfsOf(ns, roots);
  for (let i = 0; i < links.length; i++) {
    const link = links[i]!;
    if (base === null || !isSafeIfname(link.name)) {
      out.set(link.name, null);
      continue;
    }
    const path = `${base}/class/net/${link.name}/queues/rx-0/rps_cpus`;
    const text = read(path, RPS_MAX_BYTES, dev ?? undefined);
    const mask = text === null ? null : parseRpsMask(text);
    if (text !== null && mask === undefined) log?.(`ignored ${path}: not a CPU mask`);
    out.set(link.name, mask ?? null);
  }
  return out;
}

/** How readRps reads one file: opened afresh (readTextOrNull) or through a kept descriptor (RpsFiles). */
export type RpsRead = (path: string, maxBytes: number, dev: number | undefined) => string | null;

/** The sysfs that shows this namespace's devices, and its device number (see readRps). */
function sysfsOf(
  ns: NsEntry,
  roots: { procRoot: string; sysRoot: string },
): { base: string | null; dev: number | null } {
  const base =
    ns.kind === 'host' ? roots.sysRoot : ns.pid === null ? null : `${roots.procRoot}/${ns.pid}/root/sys`;
  return { base, dev: base === null ? null : ns.kind === 'host' ? deviceOf(base) : (ns.sysDev ?? null) };
}

/**
 * iproute2 prints `parentbus` only from 5.14, and only with a kernel that sends
 * IFLA_PARENT_DEV_NAME (5.14+): on RHEL 8 (4.18) and Ubuntu 20.04 (5.4, iproute2 5.5) a NIC
 * looks like any device without a kind, and would be shown as "other" (no NIC-ring findings).
 * sysfs knows: a device on a bus has a `device` link in /sys/class/net/NAME, a virtual one has
 * none. Read through the same sysfs as rps_cpus (SPEC SEC1: the holder's own, on its device);
 * the bus name is the last part of `device/subsystem` (pci, virtio, ...).
 */
export function fillParentBus(
  ns: NsEntry,
  links: IpLink[],
  roots: { procRoot: string; sysRoot: string },
): void {
  const candidates = links.filter(
    (l) => l.parentBus === null && l.infoKind === null && l.linkType !== 'loopback' && isSafeIfname(l.name),
  );
  if (candidates.length === 0) return;
  const { base, dev } = sysfsOf(ns, roots);
  if (base === null) return;
  for (const link of candidates) {
    const device = `${base}/class/net/${link.name}/device`;
    try {
      const st = lstatSync(device);
      if (!st.isSymbolicLink() || (dev !== null && st.dev !== dev)) continue;
    } catch {
      continue;
    }
    let bus = 'unknown';
    try {
      bus = readlinkSync(`${device}/subsystem`).split('/').pop() || bus;
    } catch {}
    link.parentBus = bus;
  }
}

/** 8192 CPUs: 1024 groups of 8 hex digits and commas. */
const RPS_MAX_BYTES = 9216;
/** The kernel's `%*pb`: 32-bit groups of 8 hex digits, comma separated, the first one shorter. */
const CPU_MASK = /^[0-9a-f]{1,8}(?:,[0-9a-f]{8}){0,1023}$/;

/**
 * rps_cpus text → the mask without its newline; null for all-zero; undefined when the text is not
 * a CPU mask at all (refused: someone else's file, or garbage).
 */
export function parseRpsMask(text: string): string | null | undefined {
  const mask = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (!CPU_MASK.test(mask)) return undefined;
  return /[1-9a-f]/.test(mask) ? mask : null;
}

/**
 * A name the kernel could have made (dev_valid_name): 1–15 bytes, not `.` or `..`, no `/`, `:`
 * or whitespace. Anything else is not looked up as a path.
 */
export function isSafeIfname(name: string): boolean {
  return (
    name !== '' && name !== '.' && name !== '..' && Buffer.byteLength(name) <= 15 && !/[/:\s]/.test(name)
  );
}

/**
 * A name the topology can carry faithfully: a kernel-valid name that decoded without loss (a
 * name that is not UTF-8 comes back from ip and /proc/net/dev as U+FFFD, and two such names
 * would collide). Control characters are kept (they are the real name; printers escape them).
 */
export function isRepresentableIfname(name: string): boolean {
  return isSafeIfname(name) && !name.includes('\uFFFD');
}

const devices = new Map<string, number | null>();
function deviceOf(path: string): number | null {
  let dev = devices.get(path);
  if (dev === undefined) {
    try {
      dev = statSync(path).dev;
    } catch {
      dev = null;
    }
    devices.set(path, dev);
  }
  return dev;
}
