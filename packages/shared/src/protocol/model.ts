import { z } from 'zod';
import { IFACE_COUNTERS, IFACE_KINDS } from './constants.ts';

/**
 * The model every part shares: a host's topology (changes rarely, sent whole) and its
 * per-interval samples (deltas, sent every interval). Types are inferred from these schemas and
 * never written a second time.
 */

export { IFACE_KINDS };
/**
 * A kind this build does not know (a newer agent's) decodes as `other` rather than refusing the
 * whole topology: the hop is still drawn and judged by its counters.
 */
export const IfaceKindSchema = z.enum(IFACE_KINDS).catch('other');
export type IfaceKind = z.infer<typeof IfaceKindSchema>;

/**
 * What Open vSwitch says of an interface that is one of its ports (issue 11), from OVSDB's
 * Port and Interface rows. Absent on interfaces OVS does not know and from older agents.
 */
export const OvsPortSchema = z.object({
  /** The OVS bridge (its name) the port is on. */
  bridge: z.string(),
  /** OVSDB Interface `type`: '' (system), internal, patch, vxlan, geneve, gre, tap, dpdk... */
  type: z.string(),
  /** Access VLAN (`tag`), null for a trunk. */
  tag: z.number().int().nullable(),
  /** Trunked VLANs; empty with no tag: every VLAN. */
  trunks: z.array(z.number().int()),
  /** OpenFlow port number; null when OVS gave it none (-1 or not yet). */
  ofport: z.number().int().nullable(),
  adminState: z.string().nullable(),
  linkState: z.string().nullable(),
  /** patch: the peer port's name (options:peer). */
  patchPeer: z.string().nullable(),
  /** Tunnels: options:remote_ip (an address or `flow`). */
  remoteIp: z.string().nullable(),
  /** OVSDB Interface `error`, e.g. "No usable peer 'x' exists in 'netdev' datapath." */
  error: z.string().nullable(),
  /** On a bridge's own internal port: the bridge's datapath_type (system, netdev). */
  datapathType: z.string().nullable(),
});
export type OvsPort = z.infer<typeof OvsPortSchema>;

export const IfaceSchema = z.object({
  /** design.md id: `IFNAME` in the host namespace, `NETNS/IFNAME` elsewhere. */
  id: z.string().min(1),
  netns: z.string(),
  name: z.string().min(1),
  ifindex: z.number().int(),
  kind: IfaceKindSchema,
  /** The kernel's own `info_kind` (veth, bridge, vxlan, openvswitch, ...) or null for none. */
  driverKind: z.string().nullable(),
  mtu: z.number().int(),
  /** The kernel's operstate in lower case: up, down, unknown, lowerlayerdown, dormant, ... */
  operstate: z.string(),
  adminUp: z.boolean(),
  carrier: z.boolean().nullable(),
  mac: z.string().nullable(),
  /** CIDR strings, IPv4 and IPv6. */
  addresses: z.array(z.string()),
  /** The root qdisc's kind (noqueue, pfifo_fast, tbf, ...) or null when unknown. */
  qdisc: z.string().nullable(),
  txqueuelen: z.number().int().nullable(),
  /** rps_cpus of rx-0 as the kernel prints it (hex mask, e.g. "2"), null when 0 or absent. */
  rpsCpus: z.string().nullable(),
  /** Bridge (or OVS bridge) this interface is a port of. */
  master: z.string().nullable(),
  /** Bridge port STP state (forwarding, blocking, disabled, ...) when a bridge port. */
  portState: z.string().nullable(),
  /** veth peer, resolved from the kernel's peer ifindex and link-netnsid, never by name. */
  peer: z.string().nullable(),
  /** upper → lower: the device this one is stacked on (vxlan's underlay dev, macvlan's parent). */
  lower: z.string().nullable(),
  vxlan: z
    .object({
      vni: z.number().int().nullable(),
      port: z.number().int().nullable(),
      local: z.string().nullable(),
      remote: z.string().nullable(),
    })
    .nullable(),
  /** The interface as an Open vSwitch port (issue 11); absent when OVS does not know it. */
  ovs: OvsPortSchema.optional(),
});
export type Iface = z.infer<typeof IfaceSchema>;

export const NetnsSchema = z.object({
  /** `ip netns` name, `ns-<inode>` for unnamed ones, '' for the host's initial namespace. */
  name: z.string(),
  inode: z.number().int(),
  /** net.ipv4.ip_forward inside the namespace: a forwarding namespace routes between its ports. */
  forwarding: z.boolean(),
});
export type Netns = z.infer<typeof NetnsSchema>;

export const RouteSchema = z.object({
  netns: z.string(),
  /** 'default' or a CIDR. */
  dst: z.string(),
  /** The interface id of the output device. */
  dev: z.string(),
  via: z.string().nullable(),
  /** Source address the kernel prefers (prefsrc), when set. */
  src: z.string().nullable(),
});
export type Route = z.infer<typeof RouteSchema>;

const left = z.number().int().nonnegative();
export const TruncatedSchema = z.object({
  /** Namespaces not watched: over the namespace budget, or too big for the interface budgets. */
  namespaces: left,
  /** Interfaces not shown: in namespaces left out, or with names that cannot be represented. */
  ifaces: left,
  /** Routes beyond the per-namespace cap. */
  routes: left,
  /** Addresses beyond the per-interface cap. */
  addresses: left,
});
export type Truncated = z.infer<typeof TruncatedSchema>;

export const TopologySchema = z.object({
  host: z.string().min(1),
  kernel: z.string(),
  cpus: z.number().int().nonnegative(),
  namespaces: z.array(NetnsSchema),
  ifaces: z.array(IfaceSchema),
  routes: z.array(RouteSchema),
  /**
   * Present when the agent left things out to stay within its budgets (an unprivileged user can
   * make namespaces, interfaces, addresses and routes without limit): how many of each it does
   * not show. Unnamed namespaces (`ns-<inode>`) are left out first. Absent: nothing left out.
   */
  truncated: TruncatedSchema.optional(),
});
export type Topology = z.infer<typeof TopologySchema>;

export { IFACE_COUNTER_INDEX, IFACE_COUNTERS, type IfaceCounterName } from './constants.ts';

const count = z.number().nonnegative();
export const IfaceRowSchema = z.array(count).length(IFACE_COUNTERS.length);

export const SoftnetDeltaSchema = z.object({
  cpu: z.number().int().nonnegative(),
  processed: count,
  dropped: count,
  timeSqueeze: count,
  receivedRps: count,
  flowLimit: count,
  /** Gauge (column 12 where present): the backlog length at sampling time, null when absent. */
  backlogLen: z.number().nonnegative().nullable(),
});
export type SoftnetDelta = z.infer<typeof SoftnetDeltaSchema>;

export const QdiscDeltaSchema = z.object({
  kind: z.string(),
  packets: count,
  bytes: count,
  drops: count,
  overlimits: count,
  requeues: count,
  /** Gauge: packets queued at sampling time. */
  qlen: z.number().nonnegative(),
});
export type QdiscDelta = z.infer<typeof QdiscDeltaSchema>;

export const DropReasonCountSchema = z.object({
  /** Reason name from the kernel's own enum (CPU_BACKLOG, NOT_SPECIFIED, ...). */
  reason: z.string(),
  /** Function the skb was freed in, without offset (enqueue_to_backlog, __dev_forward_skb2, ...). */
  location: z.string(),
  cpu: z.number().int().nonnegative(),
  count: count,
});
export type DropReasonCount = z.infer<typeof DropReasonCountSchema>;

export const TracingStateSchema = z.object({
  state: z.enum(['on', 'off', 'unavailable']),
  /** Why tracing is off or unavailable, in words. */
  detail: z.string().nullable(),
  /** Events the kernel lost this interval (ring overrun): counts are then a lower bound. */
  lost: count,
});
export type TracingState = z.infer<typeof TracingStateSchema>;

/**
 * A drop or reject rule of a namespace's nftables ruleset (issue 10, R13). The agent reads the
 * ruleset (nft's JSON) only when it changed or when the kernel reported NETFILTER_DROP, never per
 * sample; `packets` is the delta of the rule's counter since the previous reading.
 */
export const FirewallRuleSchema = z.object({
  family: z.string(),
  table: z.string(),
  chain: z.string(),
  /** The base chain's hook (input, forward, output, prerouting, postrouting, ingress...), null for a jump target. */
  hook: z.string().nullable(),
  handle: z.number().int(),
  verdict: z.enum(['drop', 'reject']),
  /** The rule in nft's words, without its counter: what an operator greps for. */
  text: z.string(),
  /** Packets the rule's counter matched in the interval; null when the rule has no counter. */
  packets: count.nullable(),
});
export type FirewallRule = z.infer<typeof FirewallRuleSchema>;

export const ConntrackStatSchema = z.object({
  /** Gauge: the namespace's connection count (column `entries`). */
  count: z.number().nonnegative(),
  /** Deltas of the namespace's /proc/net/stat/nf_conntrack, summed over CPUs. */
  drop: count,
  earlyDrop: count,
  insertFailed: count,
  invalid: count,
});
export type ConntrackStat = z.infer<typeof ConntrackStatSchema>;

/**
 * What the protocol rules (R11-R16) need of one namespace. Every field is optional: an agent that
 * cannot read something leaves it out, and samples from before issue 10 have none of it.
 */
export const NsProtoSchema = z.object({
  conntrack: ConntrackStatSchema.optional(),
  /** Gauges: rp_filter per interface name and `all` (`ip -j netconf`), only the non-zero ones. */
  rpFilter: z.record(z.string(), z.number().int()).optional(),
  /** Gauge: neighbour (ARP) entries in the namespace. */
  neighbours: z.number().int().nonnegative().optional(),
  /** Gauge: neighbours not resolved now (incomplete or failed ARP), with the device they wait on. */
  unresolved: z.array(z.object({ ip: z.string(), dev: z.string() })).optional(),
  /** The namespace's drop and reject rules with their counters' deltas. */
  firewall: z.array(FirewallRuleSchema).optional(),
  /**
   * Deltas of SNMP counters (`Group.Field`) read at once while a drop reason they explain keeps
   * coming (IP_INNOROUTES, IP_RPFILTER...): the regular read of /proc/net/netstat is every few
   * samples, too late to tie a drop to its namespace within the window.
   */
  mib: z.record(z.string(), count).optional(),
});
export type NsProto = z.infer<typeof NsProtoSchema>;

/** A datapath's upcall statistics (`ovs-appctl dpctl/show`), deltas but for the flow count. */
export const OvsDatapathSchema = z.object({
  /** `netdev@ovs-netdev`, `system@ovs-system`. */
  name: z.string(),
  hit: count,
  missed: count,
  /** Upcalls the datapath gave up on (the kernel's or the PMD threads' queue was full). */
  lost: count,
  /** Gauge: datapath flows installed. */
  flows: z.number().nonnegative(),
});
export type OvsDatapath = z.infer<typeof OvsDatapathSchema>;

/** An OpenFlow flow that drops (actions drop or none) and counted packets in the interval. */
export const OvsDropFlowSchema = z.object({
  bridge: z.string(),
  table: z.number().int().nonnegative(),
  priority: z.number().int(),
  /** The match as ovs-ofctl prints it (`udp,nw_dst=203.0.113.10`), without counters. */
  match: z.string(),
  cookie: z.string(),
  /** n_packets delta since the previous reading. */
  packets: count,
});
export type OvsDropFlow = z.infer<typeof OvsDropFlowSchema>;

/**
 * Open vSwitch's own view of the interval (issue 11, R21/R13/R25), only from agents on a host
 * with an OVS. `datapaths` and `coverage` are read every few seconds, not every sample: a sample
 * without them says nothing new, not "zero".
 */
export const OvsSampleSchema = z.object({
  /** OVSDB connection: `online`, or why not (the kernel view goes on without it). */
  state: z.enum(['online', 'offline']),
  detail: z.string().nullable(),
  datapaths: z.array(OvsDatapathSchema).optional(),
  /** Deltas of OVS's drop coverage counters (`drop_action_*`, `datapath_drop_*`), non-zero only. */
  coverage: z.record(z.string(), count).optional(),
  /** Drop flows whose counters moved. */
  dropFlows: z.array(OvsDropFlowSchema).optional(),
});
export type OvsSample = z.infer<typeof OvsSampleSchema>;

/**
 * One sampling interval, as deltas. `ifaces` omits interfaces whose deltas are all zero: an
 * interface present in the topology and absent here did nothing (idle), which keeps idle hosts
 * cheap. Deltas, not totals: the kernel's u64 counters lose precision past 2^53 in JSON.
 */
export const SampleSchema = z.object({
  /** End of the interval, ms since the epoch. */
  t: z.number().int().nonnegative(),
  elapsedMs: z.number().positive(),
  ifaces: z.record(z.string(), IfaceRowSchema),
  softnet: z.array(SoftnetDeltaSchema),
  qdiscs: z.record(z.string(), QdiscDeltaSchema),
  /** Per namespace, deltas of SNMP counters named `Group.Field` (Ip.InDiscards, Udp.RcvbufErrors). */
  snmp: z.record(z.string(), z.record(z.string(), z.number())),
  drops: z.array(DropReasonCountSchema),
  /** Gauges: net.core.netdev_max_backlog, net.core.netdev_budget, ... */
  sysctls: z.record(z.string(), z.number()),
  tracing: TracingStateSchema,
  /** Per namespace, protocol-level state and statistics (issue 10); absent from older agents. */
  nsproto: z.record(z.string(), NsProtoSchema).optional(),
  /** Open vSwitch's datapath, drop coverage and drop flows (issue 11); absent without OVS. */
  ovs: OvsSampleSchema.optional(),
});
export type Sample = z.infer<typeof SampleSchema>;

/**
 * Periodic absolute counters, as decimal strings (u64-exact), so a recording can show totals
 * and a reader can check that deltas add up.
 */
export const KeyframeSchema = z.object({
  t: z.number().int().nonnegative(),
  ifaces: z.record(z.string(), z.array(z.string().regex(/^\d+$/)).length(IFACE_COUNTERS.length)),
  softnet: z.array(z.object({ cpu: z.number().int(), processed: z.string(), dropped: z.string() })),
});
export type Keyframe = z.infer<typeof KeyframeSchema>;
