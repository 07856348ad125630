/**
 * Fault injection as pure plans: which hops a fault makes sense on, what it runs and which global
 * sysctls it changes. `labFault` in fault-apply.ts executes a plan.
 *
 * The numbers are measured on this 2-vCPU Linux 6.18 VM with `lab traffic` (UDP, 1472-byte
 * payload, sender and sink pinned to CPU 0, sender paced in 1 ms ticks), see README "Lab":
 * - backlog, RPS qg-a1 → CPU 1, 10 000 pps (bursts of 10 per ms): netdev_max_backlog 1 → 8-15 %
 *   loss, 2 → 7 %, 4 → 0.4-1.9 %, 8 → 0.2-0.6 %, 16 → 0 (20 000 pps: 8 → 0.3 %, 16 → 0.05 %).
 *   The spread between runs is the machine: the drops happen when CPU 1 is late to drain its
 *   queue, and that depends on whatever else runs. Drops show as qg-a1 rx_dropped, tap-qg-a1
 *   tx_dropped (the same drops, counted by both ends) and softnet column 2 of CPU 1; no other
 *   hop, because the hops before qg-a1 are all processed on the sender's CPU 0 inside its own
 *   send call (the queue there never holds more than one packet). RPS on an EARLIER hop (eno1,
 *   int-br-ex) is different: every later veth hop is then processed on CPU 1 too and enqueues to
 *   the same per-CPU backlog, so drops spill onto the later hops (fewer than on the faulted one).
 *   netdev_max_backlog is global: at 1 the host's own loopback drops packets too.
 * - mtu 1450 on qg-a1: every full-size frame from tap-qg-a1 is dropped (qg-a1 rx_dropped,
 *   tap-qg-a1 tx_dropped, softnet untouched); 1400-byte payloads pass.
 * - qdisc tbf 100mbit burst/limit 15000 B on tap-qg-a1 at 10 000 pps × 1500 B (120 Mbit/s):
 *   ~18 % loss, seen only in `tc -s qdisc` (tx_dropped stays 0).
 * - down on qg-a1: br-int stops forwarding to the disabled port; no drop counter moves anywhere.
 */
import { flowDropRule, labOvsSocket, MISSING_PEER, ovsMgmt } from './ovs/topology.ts';
import { FAULT_ROUTE_DST, FAULT_TABLE, type Step } from './plan.ts';
import type { FaultKind } from './state.ts';
import {
  LAB_IFACE_IDS,
  LAB_VM_PATH,
  labIface,
  NS_ROUTER,
  NS_UP,
  NS_VM,
  ROUTER_GW_ADDR,
  SEED_HOP,
  UPLINK_ADDR,
  VM_ADDR,
} from './topology.ts';

export interface FaultSettings {
  /** net.core.netdev_max_backlog while the backlog fault is on (kernel default 1000). */
  maxBacklog: number;
  /** MTU given to the hop by the mtu fault: below the lab's 1500, like a VXLAN overhead mismatch. */
  mtu: number;
  /** tbf parameters of the qdisc fault. */
  tbfRate: string;
  tbfBurstBytes: number;
  tbfLimitBytes: number;
  /** Share of the lab's traffic (UDP and ICMP) the firewall fault's rule drops, in percent (0.01 steps). */
  firewallPercent: number;
  /** net.netfilter.nf_conntrack_max while the conntrack fault is on (a global knob). */
  conntrackMax: number;
}

export const DEFAULT_FAULT_SETTINGS: FaultSettings = {
  maxBacklog: 8,
  mtu: 1450,
  tbfRate: '100mbit',
  tbfBurstBytes: 15_000,
  tbfLimitBytes: 15_000,
  firewallPercent: 5,
  conntrackMax: 64,
};

/** The flood runs on this CPU (`taskset`); RPS steers the faulted hop to another one. */
export const SENDER_CPU = 0;

/** The CPU the backlog fault steers to: the last one, never the sender's. */
export function rpsTargetCpu(cpus: number): number | null {
  return cpus < 2 ? null : cpus - 1;
}

export function rpsMask(cpu: number): string {
  return (1n << BigInt(cpu)).toString(16);
}

const path: readonly string[] = LAB_VM_PATH;
/** veth ends that receive inbound traffic from their peer (RPS and MTU faults act here). */
export const INBOUND_RECEIVERS = path.filter((id, k) => k > 0 && labIface(id)?.peer === path[k - 1]);
/** veth ends that transmit inbound traffic to their peer (a qdisc on their egress sees it). */
export const INBOUND_SENDERS = path.filter((id, k) => labIface(id)?.peer === path[k + 1]);

/**
 * Where a namespace's protocol faults (firewall, conntrack, rp_filter, routes) show: the
 * interface by which inbound traffic enters it, the router's gateway port and the VM's eth0.
 */
export const NS_ENTRIES = ['hwlab-qrouter-a1/qg-a1', 'hwlab-vm1/eth0'] as const;
/** Where a neighbour that never answers shows: the interface the packets wait to leave by. */
export const NEIGH_EXITS = ['hwlab-up/wan0', 'hwlab-qrouter-a1/qr-a1'] as const;
/**
 * noroute: the router loses its routes to the VM (what it receives on qg-a1 has nowhere to go),
 * or the uplink loses its route to the tenant network (its sends are refused on wan0). Not the
 * VM losing its way back: a ping reply with no route is dropped without any counter or reason.
 */
export const NOROUTE_HOPS = ['hwlab-qrouter-a1/qg-a1', 'hwlab-up/wan0'] as const;

/** The OVS lab's faults each have one place: br-int's flow table and br-ex's patch to br-int. */
const FLOW_DROP_HOP = 'hwlab-node/br-int';
const PATCH_PEER_HOP = 'hwlab-node/phy-br-ex';

export const DEFAULT_HOP: Record<Exclude<FaultKind, 'none'>, string> = {
  backlog: SEED_HOP,
  mtu: SEED_HOP,
  qdisc: 'hwlab-node/tap-qg-a1',
  down: SEED_HOP,
  firewall: SEED_HOP,
  conntrack: SEED_HOP,
  rpfilter: SEED_HOP,
  noroute: SEED_HOP,
  neigh: 'hwlab-qrouter-a1/qr-a1',
  'flow-drop': FLOW_DROP_HOP,
  'patch-peer': PATCH_PEER_HOP,
};

/** Faults of the OVS lab (`lab up --ovs`) only. */
export const OVS_FAULTS: ReadonlySet<string> = new Set(['flow-drop', 'patch-peer']);

/** Hops a fault kind can be put on, with the reason shown when another one is asked for. */
export function hopsFor(kind: Exclude<FaultKind, 'none'>): { hops: readonly string[]; why: string } {
  switch (kind) {
    case 'backlog':
      return { hops: INBOUND_RECEIVERS, why: 'RPS acts where a veth receives (netif_rx)' };
    case 'mtu':
      return { hops: INBOUND_RECEIVERS, why: 'a veth drops oversize frames where it receives them' };
    case 'qdisc':
      return { hops: INBOUND_SENDERS, why: 'a qdisc shapes egress: inbound traffic leaves these' };
    case 'down':
      return { hops: path, why: 'the hop must be on the path for its loss to show' };
    case 'firewall':
    case 'conntrack':
    case 'rpfilter':
      return { hops: NS_ENTRIES, why: 'it acts where traffic enters a namespace that routes or receives it' };
    case 'noroute':
      return {
        hops: NOROUTE_HOPS,
        why: 'the router forwards to the VM; the uplink sends to the tenant network',
      };
    case 'neigh':
      return { hops: NEIGH_EXITS, why: 'packets wait for ARP on the interface they leave by' };
    case 'flow-drop':
      return { hops: [FLOW_DROP_HOP], why: 'the OpenFlow drop rule goes on br-int' };
    case 'patch-peer':
      return { hops: [PATCH_PEER_HOP], why: 'br-ex loses its patch to br-int' };
    default: {
      const never: never = kind;
      throw new Error(`unknown fault ${never}`);
    }
  }
}

export type HopCheck = { ok: true; hop: string } | { ok: false; error: string };

export function checkHop(kind: Exclude<FaultKind, 'none'>, hop: string | undefined): HopCheck {
  const id = hop ?? DEFAULT_HOP[kind];
  if (!LAB_IFACE_IDS.includes(id)) {
    return {
      ok: false,
      error: `"${id}" is not an interface of the lab. The lab's ids:\n  ${LAB_IFACE_IDS.join('\n  ')}`,
    };
  }
  const { hops, why } = hopsFor(kind);
  if (!hops.includes(id)) {
    return {
      ok: false,
      error: `a ${kind} fault cannot go on ${id} (${why}). Choose one of:\n  ${hops.join('\n  ')}`,
    };
  }
  return { ok: true, hop: id };
}

export interface FaultPlan {
  steps: Step[];
  /** Global sysctls to set (recorded in the state file first). */
  sysctls: Record<string, string>;
  /** In words, for `lab status`. */
  detail: string;
}

export function faultPlan(
  kind: Exclude<FaultKind, 'none'>,
  hop: string,
  cpus: number,
  settings: FaultSettings = DEFAULT_FAULT_SETTINGS,
): FaultPlan {
  const iface = labIface(hop);
  if (!iface) throw new Error(`not a lab interface: ${hop}`);
  const { netns, name } = iface;
  switch (kind) {
    case 'backlog': {
      const cpu = rpsTargetCpu(cpus);
      if (cpu === null)
        throw new Error('the backlog fault needs 2 CPUs: RPS must steer away from the sender');
      const mask = rpsMask(cpu);
      return {
        steps: [{ tool: 'sh', netns, script: `echo ${mask} > /sys/class/net/${name}/queues/rx-0/rps_cpus` }],
        sysctls: { 'net.core.netdev_max_backlog': String(settings.maxBacklog) },
        detail: `RPS ${name} rx-0 → CPU ${cpu} (rps_cpus=${mask}), net.core.netdev_max_backlog=${settings.maxBacklog}`,
      };
    }
    case 'mtu':
      return {
        steps: [{ tool: 'ip', netns, lines: [`link set dev ${name} mtu ${settings.mtu}`] }],
        sysctls: {},
        detail: `MTU of ${name} lowered to ${settings.mtu} (its peer sends 1500)`,
      };
    case 'qdisc': {
      const tbf = `tbf rate ${settings.tbfRate} burst ${settings.tbfBurstBytes} limit ${settings.tbfLimitBytes}`;
      return {
        steps: [{ tool: 'sh', netns, script: `tc qdisc replace dev ${name} root ${tbf}` }],
        sysctls: {},
        detail: `${tbf} on the egress of ${name}`,
      };
    }
    case 'down':
      return {
        steps: [{ tool: 'ip', netns, lines: [`link set dev ${name} down`] }],
        sysctls: {},
        detail: `${name} set administratively down`,
      };
    case 'firewall':
      return firewallPlan(netns, settings.firewallPercent);
    case 'conntrack':
      return conntrackPlan(netns, settings.conntrackMax);
    case 'rpfilter':
      return rpfilterPlan(netns, name);
    case 'noroute':
      return noroutePlan(netns);
    case 'neigh':
      return neighPlan(netns);
    case 'flow-drop':
      return {
        steps: [
          {
            tool: 'ovs-ofctl',
            mgmt: ovsMgmt('br-int'),
            cmd: 'add-flow',
            args: [flowDropRule(ROUTER_GW_ADDR)],
          },
        ],
        sysctls: {},
        detail: `OpenFlow rule on br-int: ${flowDropRule(ROUTER_GW_ADDR)}`,
      };
    case 'patch-peer':
      return {
        steps: [
          {
            tool: 'ovs-vsctl',
            sock: labOvsSocket(),
            args: ['set', 'interface', name, `options:peer=${MISSING_PEER}`],
          },
        ],
        sysctls: {},
        detail: `patch port ${name}'s peer set to ${MISSING_PEER}, which does not exist`,
      };
    default: {
      const never: never = kind;
      throw new Error(`unknown fault ${never}`);
    }
  }
}

/** The chains a namespace's fault rules go in: a router filters what it forwards, too. */
function faultChains(netns: string, rule: string): string[] {
  const hooks = netns === NS_ROUTER ? ['input', 'forward'] : ['input'];
  return [
    `table inet ${FAULT_TABLE} {`,
    ...hooks.flatMap((h) => [
      `  chain ${h} {`,
      `    type filter hook ${h} priority filter; policy accept;`,
      `    ${rule}`,
      '  }',
    ]),
    '}',
  ];
}

/** The comment the firewall fault's rule carries: what R13's evidence should quote. */
export const FIREWALL_RULE_COMMENT = 'hwlab firewall fault';

function firewallPlan(netns: string, percent: number): FaultPlan {
  const perTenThousand = Math.max(1, Math.min(10_000, Math.round(percent * 100)));
  const rule = `meta l4proto { icmp, udp } numgen random mod 10000 < ${perTenThousand} counter drop comment "${FIREWALL_RULE_COMMENT}"`;
  return {
    steps: [{ tool: 'nft', netns, lines: faultChains(netns, rule) }],
    sysctls: {},
    detail: `nft rule in ${netns} drops ${(perTenThousand / 100).toFixed(2)} % of UDP and ICMP (table inet ${FAULT_TABLE})`,
  };
}

/**
 * Conntrack becomes active in a namespace with the first rule that uses it; the table size is
 * global (read-only inside a namespace) but the count is per namespace. With a tiny maximum and
 * many flows, early_drop finds nothing to evict in the few buckets it scans and new flows are
 * dropped ("nf_conntrack: table full, dropping packet").
 */
function conntrackPlan(netns: string, max: number): FaultPlan {
  return {
    steps: [
      { tool: 'nft', netns, lines: faultChains(netns, 'ct state new counter accept') },
      // Start from an empty table: entries of earlier traffic (30 s for unanswered UDP) would
      // fill it and drop every new flow whatever the traffic.
      { tool: 'sh', netns, script: 'conntrack -F 2>/dev/null; true' },
    ],
    sysctls: { 'net.netfilter.nf_conntrack_max': String(max) },
    detail: `conntrack on in ${netns} (a ct rule), net.netfilter.nf_conntrack_max=${max}: needs many flows (lab traffic --flows)`,
  };
}

/**
 * Strict reverse-path filtering after a routing change: the way back to the uplink's address now
 * leaves by another interface than the traffic comes in on (the router: its tenant port; the VM,
 * which has only eth0: loopback).
 */
function rpfilterPlan(netns: string, name: string): FaultPlan {
  const back = netns === NS_ROUTER ? `via ${VM_ADDR} dev qr-a1` : 'dev lo';
  return {
    steps: [
      {
        tool: 'sh',
        netns,
        script: `echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter; echo 1 > /proc/sys/net/ipv4/conf/${name}/rp_filter; ip route replace ${FAULT_ROUTE_DST} ${back}`,
      },
    ],
    sysctls: {},
    detail: `rp_filter=1 (strict) in ${netns}, route ${FAULT_ROUTE_DST} ${back}: traffic from ${UPLINK_ADDR} fails the reverse-path check`,
  };
}

function noroutePlan(netns: string): FaultPlan {
  if (netns === NS_ROUTER) {
    return {
      steps: [{ tool: 'sh', netns, script: 'ip route del 10.10.0.0/24 dev qr-a1; ip route del default' }],
      sysctls: {},
      detail: `${netns} lost its routes to the tenant network and its default route: traffic to ${VM_ADDR} has no route`,
    };
  }
  return {
    steps: [{ tool: 'sh', netns, script: 'ip route del 10.10.0.0/24' }],
    sysctls: {},
    detail: `${netns} lost its route to the tenant network: sends to ${VM_ADDR} are refused (ENETUNREACH, Ip.OutNoRoutes)`,
  };
}

/** A next hop that never answers ARP: its permanent entry gone, its interface deaf to ARP. */
function neighPlan(netns: string): FaultPlan {
  if (netns === NS_UP) {
    return {
      steps: [
        { tool: 'sh', netns: NS_ROUTER, script: 'ip link set dev qg-a1 arp off' },
        { tool: 'sh', netns, script: `ip neigh del ${ROUTER_GW_ADDR} dev wan0` },
      ],
      sysctls: {},
      detail: `${netns} forgot the router's MAC and the router's qg-a1 does not answer ARP`,
    };
  }
  return {
    steps: [
      { tool: 'sh', netns: NS_VM, script: 'ip link set dev eth0 arp off' },
      { tool: 'sh', netns, script: `ip neigh del ${VM_ADDR} dev qr-a1` },
    ],
    sysctls: {},
    detail: `${netns} forgot the VM's MAC and the VM's eth0 does not answer ARP`,
  };
}
