import { parseIpLinks, type IpLink } from '../parse/iplink.ts';
import { type IpRoute, parseForwarding, parseIpRoutes, parseNsidList } from '../parse/iproute.ts';
import { splitJsonDocuments } from '../parse/json.ts';
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
  /** nsid → `ip netns` name (null when unnamed), as seen from this namespace. */
  nsids: Map<number, string | null>;
  /** rps_cpus of rx-0 by interface name, null when 0 or unknown. */
  rps: Map<string, string | null>;
}

/**
 * One `ip` process per namespace answers four questions in batch mode (`-b -`, `-force` so one
 * failing command does not stop the rest): links with details and addresses, main-table routes,
 * netconf (IPv4 forwarding), and the nsid table that turns a veth's link-netnsid into a namespace.
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
): Promise<NsProbe | { error: string }> {
  const { cmd, args } = probeCommand(ns);
  const r = await run(cmd, args, BATCH);
  const docs = splitJsonDocuments(r.stdout);
  if (docs.length === 0 || !Array.isArray(docs[0])) {
    const why = r.stderr.trim().split('\n')[0] || `exit code ${r.code}`;
    return { error: `cannot list interfaces of ${nsLabel(ns)}: ${why}` };
  }
  const links = parseIpLinks(docs[0] ?? null);
  return {
    ns,
    links,
    routes: parseIpRoutes(docs[1] ?? null),
    forwarding: parseForwarding(docs[2] ?? null),
    nsids: parseNsidList(docs[3] ?? null),
    rps: readRps(ns, links, roots),
  };
}

export function nsLabel(ns: { name: string }): string {
  return ns.name === '' ? 'the host namespace' : `namespace ${ns.name}`;
}

/**
 * sysfs shows the devices of the namespace it was mounted in, so a namespace's rps_cpus are
 * read through a process whose root has such a sysfs: a holder (`ip netns exec` remounted /sys
 * for it) or, for an unnamed namespace, its own process — a container usually mounts its own
 * sysfs, a bare `unshare -n` does not. There the ifindex file must match, or the value is
 * somebody else's and is left unknown.
 */
export function readRps(
  ns: NsEntry,
  links: IpLink[],
  roots: { procRoot: string; sysRoot: string },
): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const base =
    ns.kind === 'host' ? roots.sysRoot : ns.pid === null ? null : `${roots.procRoot}/${ns.pid}/root/sys`;
  for (const link of links) {
    if (base === null) {
      out.set(link.name, null);
      continue;
    }
    const dir = `${base}/class/net/${link.name}`;
    // A holder's sysfs is its namespace's by construction; an unnamed namespace's process root
    // may show another namespace's sysfs, so the ifindex must match there.
    if (ns.kind === 'unnamed' && Number(readTextOrNull(`${dir}/ifindex`)) !== link.ifindex) {
      out.set(link.name, null);
      continue;
    }
    out.set(link.name, normaliseMask(readTextOrNull(`${dir}/queues/rx-0/rps_cpus`)));
  }
  return out;
}

/** "00000000,00000002\n" → "00000000,00000002"; all-zero or missing → null. */
export function normaliseMask(text: string | null): string | null {
  const mask = text?.trim() ?? '';
  return /[1-9a-fA-F]/.test(mask) ? mask : null;
}
