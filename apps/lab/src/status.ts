/** `lab status`: what exists, what is faulted, which global sysctls differ from what was found. */
import { labComplete } from './lifecycle.ts';
import { labNamespaces, run } from './run.ts';
import { type ActiveFault, readState, STATE_PATH } from './state.ts';
import { readSysctl } from './sysctl.ts';

export interface StatusIface {
  id: string;
  kind: string;
  operstate: string;
  adminUp: boolean;
  mtu: number;
  master: string | null;
  addresses: string[];
  qdisc: string | null;
  /** rx-0 rps_cpus, null when 0. */
  rpsCpus: string | null;
}

export interface LabStatus {
  /** Every namespace and interface of the contract exists. */
  up: boolean;
  namespaces: string[];
  ifaces: StatusIface[];
  fault: ActiveFault | null;
  sysctls: { name: string; original: string; current: string }[];
}

interface IpAddrJson {
  ifname: string;
  flags?: string[];
  mtu: number;
  operstate?: string;
  master?: string;
  qdisc?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** `ip -j -d addr show` of one namespace → status rows (loopback left out). */
export function parseIpAddr(netns: string, json: string, rps: ReadonlyMap<string, string>): StatusIface[] {
  return (JSON.parse(json) as IpAddrJson[])
    .filter((l) => l.ifname !== 'lo')
    .map((l) => ({
      id: `${netns}/${l.ifname}`,
      kind: l.linkinfo?.info_kind ?? 'other',
      operstate: (l.operstate ?? 'unknown').toLowerCase(),
      adminUp: l.flags?.includes('UP') ?? false,
      mtu: l.mtu,
      master: l.master ?? null,
      addresses: (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`),
      qdisc: l.qdisc ?? null,
      rpsCpus: rps.get(l.ifname) ?? null,
    }));
}

/** Lines `IFNAME MASK` → map of non-zero masks (leading zeros and commas of long masks stripped). */
export function parseRps(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [name, mask] = line.trim().split(/\s+/);
    if (!name || !mask) continue;
    const m = mask.replaceAll(',', '').replace(/^0+/, '');
    if (m !== '') out.set(name, m);
  }
  return out;
}

/** One line per interface, `IFNAME MASK` (interfaces without an rx-0 queue print 0). */
const RPS_SCRIPT =
  'for d in /sys/class/net/*; do echo "$(basename $d) $(cat $d/queues/rx-0/rps_cpus 2>/dev/null || echo 0)"; done';

export async function labStatus(statePath = STATE_PATH): Promise<LabStatus> {
  const namespaces = await labNamespaces();
  const ifaces: StatusIface[] = [];
  for (const ns of namespaces) {
    const addr = await run('ip', ['-n', ns, '-j', '-d', 'addr', 'show']);
    if (addr.code !== 0) continue;
    const rps = await run('ip', ['netns', 'exec', ns, 'sh', '-c', RPS_SCRIPT]);
    ifaces.push(...parseIpAddr(ns, addr.stdout, parseRps(rps.stdout)));
  }
  const state = await readState(statePath);
  const sysctls = [];
  for (const [name, original] of Object.entries(state.sysctls)) {
    sysctls.push({ name, original, current: await readSysctl(name) });
  }
  return { up: await labComplete(), namespaces, ifaces, fault: state.fault, sysctls };
}

export function formatStatus(s: LabStatus): string {
  if (s.namespaces.length === 0) return 'lab: down (no hwlab- namespaces)';
  const lines = [`lab: ${s.up ? 'up' : 'INCOMPLETE (run `hopwatch lab up` to rebuild, or `lab down`)'}`];
  lines.push(
    `fault: ${s.fault ? `${s.fault.kind} on ${s.fault.hop}: ${s.fault.detail} (since ${s.fault.since})` : 'none'}`,
  );
  lines.push(
    s.sysctls.length === 0
      ? 'sysctls changed: none'
      : `sysctls changed: ${s.sysctls.map((x) => `${x.name} = ${x.current} (was ${x.original})`).join(', ')}`,
  );
  const width = Math.max(...s.ifaces.map((i) => i.id.length));
  for (const ns of s.namespaces) {
    lines.push('', ns);
    for (const i of s.ifaces.filter((x) => x.id.startsWith(`${ns}/`))) {
      const extra = [
        i.master ? `master ${i.master}` : '',
        i.addresses.join(' '),
        i.qdisc && i.qdisc !== 'noqueue' ? `qdisc ${i.qdisc}` : '',
        i.rpsCpus ? `rps_cpus ${i.rpsCpus}` : '',
      ].filter(Boolean);
      lines.push(
        `  ${i.id.padEnd(width)}  ${i.kind.padEnd(6)} ${i.operstate.padEnd(8)} mtu ${i.mtu}  ${extra.join('  ')}`.trimEnd(),
      );
    }
  }
  return lines.join('\n');
}
