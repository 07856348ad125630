import { r00Unexplained } from './r00-unexplained.ts';
import { r01Backlog } from './r01-backlog.ts';
import { r02GroCells } from './r02-gro-cells.ts';
import { r03FlowLimit } from './r03-flow-limit.ts';
import { r04Budget } from './r04-budget.ts';
import { r05NicRing } from './r05-nic-ring.ts';
import { r06Benign } from './r06-benign.ts';
import { r07VethRing } from './r07-veth-ring.ts';
import { r08TapRing } from './r08-tap-ring.ts';
import { r09Qdisc } from './r09-qdisc.ts';
import { r10Mtu } from './r10-mtu.ts';
import { r11RpFilter } from './r11-rpfilter.ts';
import { r12Conntrack } from './r12-conntrack.ts';
import { r13Firewall } from './r13-firewall.ts';
import { r14NeighOverflow } from './r14-neigh-overflow.ts';
import { r15Neighbour } from './r15-neighbour.ts';
import { r16NoRoute } from './r16-no-route.ts';
import { r17Socket } from './r17-socket.ts';
import { r18NoListener } from './r18-no-listener.ts';
import { r19Vxlan } from './r19-vxlan.ts';
import { r20Bridge } from './r20-bridge.ts';
import { r25Down } from './r25-down.ts';
import { r26Recursion } from './r26-recursion.ts';
import { r27Fragments } from './r27-fragments.ts';
import { r28Memory } from './r28-memory.ts';
import { r13OpenFlow } from './r13-openflow.ts';
import { r21OvsDatapath } from './r21-ovs-datapath.ts';
import { r25OvsPort } from './r25-ovs-port.ts';
import type { Rule } from './types.ts';

/**
 * The rules in the order they claim drops. State before symptoms (a down device explains
 * everything on it), exact counters before shared ones (qdisc, tap ring), reason-located causes
 * before the global softnet count (MTU at __dev_forward_skb2, flow limit before backlog), benign
 * frames after real loss; then protocol drops inside namespaces (conntrack before the firewall:
both free NETFILTER_DROP, conntrack's at nf_hook_slow), neighbours, socket-level last; R04 reads
R01's result; R00 takes what is left.
 */
export const RULES: readonly Rule[] = [
  r25Down,
  r25OvsPort,
  r09Qdisc,
  r08TapRing,
  r10Mtu,
  r07VethRing,
  r19Vxlan,
  r20Bridge,
  r26Recursion,
  r02GroCells,
  r03FlowLimit,
  r01Backlog,
  r04Budget,
  r06Benign,
  r12Conntrack,
  r13Firewall,
  r13OpenFlow,
  r21OvsDatapath,
  r11RpFilter,
  r16NoRoute,
  r27Fragments,
  r14NeighOverflow,
  r15Neighbour,
  r17Socket,
  r18NoListener,
  r28Memory,
  r05NicRing,
  r00Unexplained,
];

export type { Rule, RuleContext } from './types.ts';
export { FindingSet, HopNotes, SEVERITY_RANK } from './types.ts';
