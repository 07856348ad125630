import type { Iface, QdiscDelta, Sample, Topology } from '../protocol/model.ts';
import { type Counters, countersOf } from './counters.ts';
import { topoIndex } from './topoIndex.ts';

/** Where a hop's drops were counted. Rules claim from these; what nobody claims is unexplained loss. */
export const POOLS = ['rx', 'tx', 'qdisc', 'errors', 'gap'] as const;
export type Pool = (typeof POOLS)[number];

/**
 * Conservation across a veth pair: its tx and the peer's rx come from the same per-CPU counters,
 * so a gap is either a loss no counter saw or the agent reading the two namespaces a moment apart
 * (at 100 kpps a 1 ms skew is 100 packets). Only a gap above this slack counts as loss.
 */
export const CONSERVATION_SLACK_PACKETS = 16;
export const CONSERVATION_SLACK_RATIO = 0.001;

/** Operstates that carry no traffic. */
const DOWN_OPERSTATES = new Set(['down', 'lowerlayerdown', 'notpresent']);

/** Everything the rules need to know about one interface in one window. */
export interface HopFacts {
  iface: Iface;
  /** The veth peer, when the topology has it. */
  peer: Iface | null;
  c: Counters;
  peerC: Counters | null;
  qdisc: QdiscDelta | null;
  pathIndex: number | null;
  /**
   * Drops by where they were counted, deduplicated: a veth pair's sender `tx_dropped` and receiver
   * `rx_dropped` are one drop, shown on the receiving end (`rx` is the larger of the two, and the
   * sender's `tx` pool leaves its veth tx_dropped out).
   */
  pools: Record<Pool, number>;
  /**
   * Packets that got through the hop (the larger direction). A bridge's own counters see only
   * what goes to or from its IP stack, so a bridge also counts what its ports carried.
   */
  through: number;
  /** Cannot carry traffic now: admin down, or operstate down / lowerlayerdown. */
  down: boolean;
  /** Expected to carry traffic: on the path, a bridge port, a bridge with ports, a veth whose peer is up, or its counters moved. */
  shouldCarry: boolean;
}

export function isDown(i: Iface): boolean {
  return !i.adminUp || DOWN_OPERSTATES.has(i.operstate.toLowerCase());
}

export function buildFacts(
  topology: Topology,
  window: Sample | null,
  path: readonly string[] | null,
): Map<string, HopFacts> {
  // The topology's lookups are built once per topology (topoIndex), not once per window: the hub
  // judges the same topology every few seconds. Bridges with ports are the keys of `ports`.
  const { ports: hasPorts, peerAt } = topoIndex(topology);
  const ifaces = topology.ifaces;
  const facts = new Map<string, HopFacts>();
  // Each interface's counters once, by position: a veth's are read again as its peer's (a map by
  // id and a lookup of the peer by id were ~0.5 ms a window at 3000 interfaces in the web judge).
  const cs = ifaces.map((i) => countersOf(window, i.id));
  const portTraffic = new Map<string, number>();
  for (let k = 0; k < ifaces.length; k++) {
    const i = ifaces[k]!;
    if (i.master === null) continue;
    const c = cs[k]!;
    portTraffic.set(i.master, Math.max(portTraffic.get(i.master) ?? 0, c.rxPackets, c.txPackets));
  }
  for (let k = 0; k < ifaces.length; k++) {
    const i = ifaces[k]!;
    const c = cs[k]!;
    const p = peerAt[k]!;
    const peer = p < 0 ? null : ifaces[p]!;
    const peerC = p < 0 ? null : cs[p]!;
    const qdisc =
      window !== null && Object.hasOwn(window.qdiscs, i.id) ? (window.qdiscs[i.id] ?? null) : null;
    const pathIndex = path === null ? -1 : path.indexOf(i.id);
    const veth = peer !== null && peerC !== null;
    const sent = peerC?.txPackets ?? 0;
    const gap = Math.max(0, sent - c.rxPackets);
    const slack = CONSERVATION_SLACK_PACKETS + CONSERVATION_SLACK_RATIO * sent;
    const pools: Record<Pool, number> = {
      rx: veth ? Math.max(c.rxDropped, peerC.txDropped) : c.rxDropped,
      tx: veth ? 0 : c.txDropped,
      qdisc: qdisc?.drops ?? 0,
      errors: c.rxErrors + c.txErrors,
      gap: veth && gap > slack ? gap : 0,
    };
    const moved = c.rxPackets + c.txPackets + c.rxDropped + c.txDropped + pools.qdisc > 0;
    facts.set(i.id, {
      iface: i,
      peer,
      c,
      peerC,
      qdisc,
      pathIndex: pathIndex >= 0 ? pathIndex + 1 : null,
      pools,
      through: Math.max(c.rxPackets, c.txPackets, portTraffic.get(i.id) ?? 0),
      down: isDown(i),
      shouldCarry:
        pathIndex >= 0 || i.master !== null || hasPorts.has(i.id) || (peer?.adminUp ?? false) || moved,
    });
  }
  return facts;
}
