/**
 * Pure command building: what `lab up` and the baseline reset run, as batches for `ip -b -`,
 * `bridge -b -` and `sh -c` inside a namespace. Nothing here touches the system, so the exact
 * commands are unit-tested and `run.ts` stays a thin executor.
 *
 * Names are always introduced with `dev`/`name`: `ip link set d up` parses `d` as the keyword
 * `dynamic`, and `ip link add a ...` parses `a` as `address` (found the hard way).
 */

import {
  FLOW_DROP_COOKIE,
  LAB_OVS_BRIDGES,
  labOvsSocket,
  ovsBaselineArgs,
  ovsLabIfaces,
  ovsMgmt,
} from './ovs/topology.ts';
import {
  LAB_IFACES,
  LAB_NAMESPACES,
  type LabIface,
  labIfaceId,
  macOf,
  NS_DECOY,
  NS_NODE,
  NS_ROUTER,
  NS_UP,
  NS_VM,
} from './topology.ts';

export type Step =
  /** `ip [-n NS] -b -`: stops at the first failing line. */
  | { tool: 'ip'; netns: string | null; lines: string[] }
  /** `bridge -n NS -b -`. */
  | { tool: 'bridge'; netns: string; lines: string[] }
  /** `ip netns exec NS sh -c SCRIPT`: sysfs and /proc/sys writes must happen inside the namespace. */
  | { tool: 'sh'; netns: string; script: string }
  /** `ip netns exec NS nft -f -`: one nftables script, applied atomically. */
  | { tool: 'nft'; netns: string; lines: string[] }
  /** `ovs-vsctl --db=unix:SOCK ARGS`: one OVSDB transaction of the lab's private OVS. */
  | { tool: 'ovs-vsctl'; sock: string; args: string[] }
  /** `ovs-ofctl CMD unix:MGMT ARGS`: OpenFlow to one bridge of the lab's private OVS. */
  | { tool: 'ovs-ofctl'; mgmt: string; cmd: string; args: string[] };

/** `linux`: Linux bridges and veths (the default); `ovs`: Open vSwitch bridges and patch ports. */
export type LabMode = 'linux' | 'ovs';

/** The kernel devices the lab makes in a mode (OVS makes its bridges' tap devices itself). */
export function labIfaces(mode: LabMode): readonly LabIface[] {
  return mode === 'ovs' ? ovsLabIfaces() : LAB_IFACES;
}

/** The lab's normal MTU; faults lower it, the baseline puts it back. */
export const LAB_MTU = 1500;

const BRIDGE_OPTS = 'stp_state 0 forward_delay 0 mcast_snooping 0';

const inNs = (netns: string, mode: LabMode = 'linux') => labIfaces(mode).filter((i) => i.netns === netns);

/** Every namespace quiet and in its role. Namespace sysctls die with the namespace: nothing to restore. */
function nsSysctlScript(netns: string): string {
  const w = (path: string, v: number) => `echo ${v} > /proc/sys/net/${path}`;
  const lines = [
    // No IPv6 at all: link-local addresses, MLD reports and router solicitations would make an
    // idle lab tick, and the judgement would see traffic where there is none.
    w('ipv6/conf/all/disable_ipv6', 1),
    w('ipv6/conf/default/disable_ipv6', 1),
    w('ipv4/ip_forward', netns === NS_ROUTER || netns === NS_DECOY ? 1 : 0),
  ];
  // br_netfilter is built in and defaults to on per namespace: keep bridged frames off the
  // iptables hooks so the path is only bridges and veths.
  if (netns === NS_NODE) {
    for (const f of ['iptables', 'ip6tables', 'arptables']) lines.push(w(`bridge/bridge-nf-call-${f}`, 0));
  }
  return lines.join('; ');
}

/** Creating the namespaces and links. Only run when the lab does not exist yet. */
export function createSteps(mode: LabMode = 'linux'): Step[] {
  const steps: Step[] = [{ tool: 'ip', netns: null, lines: LAB_NAMESPACES.map((ns) => `netns add ${ns}`) }];
  for (const ns of LAB_NAMESPACES) steps.push({ tool: 'sh', netns: ns, script: nsSysctlScript(ns) });
  const byNs = new Map<string, string[]>();
  const add = (ns: string, line: string) => byNs.set(ns, [...(byNs.get(ns) ?? []), line]);
  const made = new Set<string>();
  const ifaces = labIfaces(mode);
  for (const i of ifaces) {
    const id = labIfaceId(i);
    if (made.has(id)) continue;
    made.add(id);
    if (i.kind === 'bridge')
      add(i.netns, `link add name ${i.name} address ${i.mac} type bridge ${BRIDGE_OPTS}`);
    if (i.kind === 'veth' && i.peer) {
      const peer = ifaces.find((x) => labIfaceId(x) === i.peer)!;
      made.add(i.peer);
      const where = peer.netns === i.netns ? '' : ` netns ${peer.netns}`;
      add(
        i.netns,
        `link add name ${i.name} address ${i.mac} type veth peer name ${peer.name} address ${peer.mac}${where}`,
      );
    }
  }
  // Bridges first (ports need their master), then the node's veths that reach out into the others.
  for (const ns of [NS_NODE, ...LAB_NAMESPACES.filter((n) => n !== NS_NODE)]) {
    const lines = byNs.get(ns);
    if (lines) steps.push({ tool: 'ip', netns: ns, lines });
  }
  return steps;
}

/** Permanent neighbour entries: with them an idle lab sends no ARP at all, ever. */
const NEIGHBOURS: { netns: string; dev: string; ip: string; of: string }[] = [
  { netns: NS_UP, dev: 'wan0', ip: '203.0.113.10', of: 'hwlab-qrouter-a1/qg-a1' },
  { netns: NS_UP, dev: 'wan0', ip: '203.0.113.20', of: 'hwlab-qrouter-b2/qg-b2' },
  { netns: NS_ROUTER, dev: 'qg-a1', ip: '203.0.113.1', of: 'hwlab-up/wan0' },
  { netns: NS_ROUTER, dev: 'qr-a1', ip: '10.10.0.5', of: 'hwlab-vm1/eth0' },
  { netns: NS_DECOY, dev: 'qg-b2', ip: '203.0.113.1', of: 'hwlab-up/wan0' },
  { netns: NS_VM, dev: 'eth0', ip: '10.10.0.1', of: 'hwlab-qrouter-a1/qr-a1' },
];

const ROUTES: { netns: string; line: string }[] = [
  { netns: NS_UP, line: 'route replace 10.10.0.0/24 via 203.0.113.10 dev wan0' },
  { netns: NS_UP, line: 'route replace 10.20.0.0/24 via 203.0.113.20 dev wan0' },
  { netns: NS_ROUTER, line: 'route replace default via 203.0.113.1 dev qg-a1' },
  { netns: NS_DECOY, line: 'route replace default via 203.0.113.1 dev qg-b2' },
  { netns: NS_VM, line: 'route replace default via 10.10.0.1 dev eth0' },
];

/**
 * Static FDB entries, bridge → (MAC → port). Learning alone floods the first frame to every port
 * and again after the 300 s ageing time, so the decoy router would see the flood now and then;
 * static entries make unicast reach exactly one port from the first frame on.
 */
const FDB: { port: string; macs: string[] }[] = [
  { port: 'eno1', macs: [macOf('hwlab-up/wan0')] },
  { port: 'phy-br-ex', macs: [macOf('hwlab-qrouter-a1/qg-a1'), macOf('hwlab-qrouter-b2/qg-b2')] },
  { port: 'int-br-ex', macs: [macOf('hwlab-up/wan0')] },
  { port: 'tap-qg-a1', macs: [macOf('hwlab-qrouter-a1/qg-a1')] },
  { port: 'tap-qg-b2', macs: [macOf('hwlab-qrouter-b2/qg-b2')] },
  { port: 'tap-qr-a1', macs: [macOf('hwlab-qrouter-a1/qr-a1')] },
  { port: 'tap-vm1', macs: [macOf('hwlab-vm1/eth0')] },
];

function linkLines(i: LabIface): string[] {
  const lines = [`link set dev ${i.name} addrgenmode none`];
  if (i.kind === 'bridge') lines.push(`link set dev ${i.name} type bridge ${BRIDGE_OPTS}`);
  if (i.kind === 'veth') lines.push(`link set dev ${i.name} mtu ${LAB_MTU}`);
  if (i.master) lines.push(`link set dev ${i.name} master ${i.master}`);
  lines.push(`link set dev ${i.name} up`);
  if (i.addr) {
    lines.push(`addr replace ${i.addr} dev ${i.name}`);
    // `addr replace` on an existing address does not bring back its prefix route (the noroute
    // fault deletes it), and the routes below need it.
    lines.push(`route replace ${connectedRoute(i.name, i.addr)}`);
  }
  return lines;
}

/** Per namespace: sysfs and qdisc state back to the lab's normal (no RPS, no qdisc on veths). */
function clearScript(netns: string, mode: LabMode): string | null {
  const veths = inNs(netns, mode).filter((i) => i.kind === 'veth');
  if (veths.length === 0) return null;
  // OVS's userspace datapath copies frames as AF_PACKET hands them over: a UDP checksum left to
  // "offload" (CHECKSUM_PARTIAL, what a veth sends) arrives unfinished and the receiver drops it
  // (pings pass, the lab's UDP flood did not). Every sender into OVS computes its checksums.
  const csum =
    mode === 'ovs' && netns !== NS_NODE ? veths.map((i) => `ethtool -K ${i.name} tx off >/dev/null`) : [];
  return [
    ...csum,
    ...veths.map(
      (i) =>
        `echo 0 > /sys/class/net/${i.name}/queues/rx-0/rps_cpus; ` +
        `tc qdisc del dev ${i.name} root 2>/dev/null; ip link set dev ${i.name} arp on`,
    ),
    // The protocol faults (faults.ts): their nft table, strict rp_filter, the route they add.
    `nft delete table inet ${FAULT_TABLE} 2>/dev/null`,
    'conntrack -F 2>/dev/null',
    'echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter',
    ...veths.map((i) => `echo 0 > /proc/sys/net/ipv4/conf/${i.name}/rp_filter`),
    `ip route del ${FAULT_ROUTE_DST} 2>/dev/null`,
    'true',
  ].join('; ');
}

/** The nftables table every lab fault puts its rules in: deleting it clears them all. */
export const FAULT_TABLE = 'hwlab_fault';
/** The host route the rpfilter fault adds (the uplink's address, sent back the wrong way). */
export const FAULT_ROUTE_DST = '203.0.113.1/32';

/** The kernel's own prefix route of an address: `10.10.0.1/24` → `10.10.0.0/24 dev X proto kernel ...`. */
export function connectedRoute(dev: string, cidr: string): string {
  const [ip, len] = cidr.split('/') as [string, string];
  const bits = Number(len);
  const n = ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const mask = bits === 0 ? 0 : (2 ** 32 - 2 ** (32 - bits)) >>> 0;
  const net = (n & mask) >>> 0;
  const dotted = [24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.');
  return `${dotted}/${bits} dev ${dev} proto kernel scope link src ${ip}`;
}

/**
 * The lab's normal state, idempotently (replace, never add): links up at MTU 1500 in their
 * bridges, addresses, routes, neighbours, FDB, no RPS, no qdisc. Also what clears a fault: a
 * link set down loses its routes and neighbours, so they are put back, not just the link.
 */
export function baselineSteps(mode: LabMode = 'linux'): Step[] {
  // OVS first: its bridges' tap devices must exist before the lines below bring them up.
  const steps: Step[] = mode === 'ovs' ? ovsBaselineSteps() : [];
  // Bridges before their ports, so `master` finds them up.
  const order = (a: LabIface, b: LabIface) => Number(b.kind === 'bridge') - Number(a.kind === 'bridge');
  for (const ns of LAB_NAMESPACES) {
    const lines = ['link set dev lo up', ...[...inNs(ns, mode)].sort(order).flatMap(linkLines)];
    if (mode === 'ovs' && ns === NS_NODE)
      for (const b of LAB_OVS_BRIDGES)
        lines.push(`link set dev ${b.name} addrgenmode none`, `link set dev ${b.name} up`);
    for (const r of ROUTES.filter((x) => x.netns === ns)) lines.push(r.line);
    for (const n of NEIGHBOURS.filter((x) => x.netns === ns)) {
      lines.push(`neigh replace ${n.ip} lladdr ${macOf(n.of)} dev ${n.dev} nud permanent`);
    }
    steps.push({ tool: 'ip', netns: ns, lines });
  }
  // OVS learns; static entries are a Linux-bridge thing.
  if (mode === 'linux')
    steps.push({
      tool: 'bridge',
      netns: NS_NODE,
      lines: FDB.flatMap((f) => f.macs.map((m) => `fdb replace ${m} dev ${f.port} master static`)),
    });
  for (const ns of LAB_NAMESPACES) {
    const script = clearScript(ns, mode);
    if (script) steps.push({ tool: 'sh', netns: ns, script });
  }
  return steps;
}

/** The OVS lab's bridges and ports as configured, and no fault's flow left on br-int. */
function ovsBaselineSteps(): Step[] {
  return [
    { tool: 'ovs-vsctl', sock: labOvsSocket(), args: ovsBaselineArgs() },
    { tool: 'ovs-ofctl', mgmt: ovsMgmt('br-int'), cmd: 'del-flows', args: [`cookie=${FLOW_DROP_COOKIE}/-1`] },
  ];
}

/** Tearing down: deleting a namespace deletes its links and, with them, their veth peers. */
export function destroySteps(namespaces: readonly string[]): Step[] {
  return namespaces.length === 0
    ? []
    : [{ tool: 'ip', netns: null, lines: namespaces.map((n) => `netns del ${n}`) }];
}
