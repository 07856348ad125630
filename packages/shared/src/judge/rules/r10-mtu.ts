import type { HopFacts } from '../facts.ts';
import { type TopoIndex, topoIndex } from '../topoIndex.ts';
import { fmtCount, fmtDelta, nsCommand } from '../format.ts';
import { shellWord } from '../../text.ts';
import { atLocation, type ReasonFilter, withReason } from '../reasons.ts';
import { compact, peerTxDroppedLine, ranked, reasonLines, rxDroppedLine } from './evidence.ts';
import type { Rule, RuleContext } from './types.ts';

/** (b) veth: the receiving end refuses a frame larger than its MTU (NOT_SPECIFIED on 6.x). */
const atVethForward: ReasonFilter = (g) =>
  atLocation('__dev_forward_skb', '__dev_forward_skb2', 'is_skb_forwardable', '____dev_forward_skb')(g) &&
  !withReason('DEV_READY', 'CPU_BACKLOG')(g);
/** (c) bridge egress: a silent drop, no counter anywhere. */
const atBridgeEgress: ReasonFilter = atLocation('br_dev_queue_push_xmit', 'br_forward_finish');
/** (a) routed with DF set (or fragmentation failing). */
const isTooBig: ReasonFilter = (g) =>
  withReason('PKT_TOO_BIG')(g) || atLocation('ip_fragment', 'ip_do_fragment', 'ip6_fragment')(g);
const FRAG_FAILS = ['Ip.FragFails', 'Ip6.FragFails', 'Ip6.InTooBigErrors'];

/** A veth end whose peer has a larger MTU: full-size frames from the peer die on it. */
function findVethVictims(ctx: RuleContext): HopFacts[] {
  return [...ctx.facts.values()].filter(
    (f) => f.iface.kind === 'veth' && f.peer !== null && f.iface.mtu < f.peer.mtu,
  );
}

/** A bridge port with a smaller MTU than its bridge's other ports. */
function findBridgeVictims(ctx: RuleContext): { f: HopFacts; biggest: number }[] {
  // The two largest port MTUs per bridge: a port compares itself with the largest of the others.
  // Ports without a kernel device (OVS patch and tunnel ports, ifindex 0) have no MTU of their own.
  const top = new Map<string, [number, number]>();
  const ports = [...ctx.facts.values()].filter(
    (f) => f.iface.master !== null && !(f.iface.ovs && f.iface.ifindex === 0),
  );
  for (const f of ports) {
    const master = f.iface.master;
    if (master === null) continue;
    const [a, b] = top.get(master) ?? [0, 0];
    const m = f.iface.mtu;
    top.set(master, m >= a ? [m, a] : [a, Math.max(b, m)]);
  }
  const out: { f: HopFacts; biggest: number }[] = [];
  for (const f of ports) {
    const master = f.iface.master;
    if (master === null) continue;
    const [a, b] = top.get(master)!;
    const biggest = f.iface.mtu === a ? b : a;
    if (biggest > f.iface.mtu) out.push({ f, biggest });
  }
  return out;
}

interface Victims {
  veth: string[];
  bridge: { id: string; biggest: number }[];
}

/**
 * The victims depend on the topology's MTUs and links, not on the window: found once per
 * topology (two scans and a tuple per bridge port, twice a window, were ~0.6 ms a window at
 * 3000 interfaces in the web judge), kept beside the topology's index and rebuilt with it
 * (topoIndex.ts: a list replaced or grown is noticed, an interface edited in place is not).
 */
const victimsByIndex = new WeakMap<TopoIndex, Victims>();
function victimsOf(ctx: RuleContext): Victims {
  const index = topoIndex(ctx.topology);
  let v = victimsByIndex.get(index);
  if (v === undefined) {
    v = {
      veth: findVethVictims(ctx).map((f) => f.iface.id),
      bridge: findBridgeVictims(ctx).map(({ f, biggest }) => ({ id: f.iface.id, biggest })),
    };
    victimsByIndex.set(index, v);
  }
  return v;
}

/** This window's facts of the victims, in the facts' order (every interface of the topology has facts). */
const vethVictims = (ctx: RuleContext): HopFacts[] => victimsOf(ctx).veth.map((id) => ctx.facts.get(id)!);
const bridgeVictims = (ctx: RuleContext): { f: HopFacts; biggest: number }[] =>
  victimsOf(ctx).bridge.map(({ id, biggest }) => ({ f: ctx.facts.get(id)!, biggest }));

function vethFinding(ctx: RuleContext, f: HopFacts, count: number, evidence: string[]) {
  const i = f.iface;
  const peer = f.peer!;
  const command = nsCommand('ip', i.netns, `link set dev ${shellWord(i.name)} mtu ${peer.mtu}`);
  ctx.findings.add({
    rule: 'R10',
    title: `MTU mismatch across a veth pair: ${i.id} has MTU ${i.mtu}, its peer ${peer.id} ${peer.mtu}`,
    severity: count > 0 ? 'loss' : 'warn',
    hop: i.id,
    reason: count > 0 ? 'NOT_SPECIFIED' : null,
    count,
    evidence: compact([
      rxDroppedLine(f),
      peerTxDroppedLine(f),
      ...evidence,
      `MTU ${i.mtu} on ${i.id}, ${peer.mtu} on ${peer.id}: frames over ${i.mtu} bytes from ${peer.name} are dropped`,
    ]),
    fix: `Align the MTUs along the path: \`${command}\` (or lower ${peer.name} and everything before it).`,
    command,
  });
}

function bridgeFinding(ctx: RuleContext, f: HopFacts, biggest: number, count: number, evidence: string[]) {
  const i = f.iface;
  const command = nsCommand('ip', i.netns, `link set dev ${shellWord(i.name)} mtu ${biggest}`);
  ctx.findings.add({
    rule: 'R10',
    title: `MTU mismatch in bridge ${i.master}: port ${i.id} has MTU ${i.mtu}, other ports ${biggest}`,
    severity: count > 0 ? 'loss' : 'warn',
    hop: i.id,
    reason: count > 0 ? 'NOT_SPECIFIED' : null,
    count,
    evidence: [
      ...evidence,
      `MTU ${i.mtu} on ${i.id}, up to ${biggest} on the other ports of ${i.master}: the bridge drops larger frames silently (no counter)`,
    ],
    fix: `Align the MTUs of the bridge's ports: \`${command}\`.`,
    command,
  });
}

/** (a) Routed: the namespace whose FragFails moved; its smallest-MTU interface with traffic is the narrow exit. */
function routed(ctx: RuleContext) {
  const snmp = Object.entries(ctx.window.snmp)
    .map(([netns, c]) => ({ netns, n: FRAG_FAILS.reduce((s, k) => s + (c[k] ?? 0), 0), c }))
    .filter((x) => x.n > 0);
  const reasonCount = ctx.reasons.available(isTooBig);
  if (snmp.length === 0 && reasonCount === 0) return;
  const { groups } = ctx.reasons.take(isTooBig);
  const spaces = snmp.length > 0 ? snmp : [{ netns: null, n: reasonCount, c: {} as Record<string, number> }];
  for (const s of spaces) {
    const inNs = [...ctx.facts.values()].filter(
      (f) =>
        (s.netns === null
          ? ctx.topology.namespaces.some((n) => n.forwarding && n.name === f.iface.netns)
          : f.iface.netns === s.netns) &&
        f.through > 0 &&
        f.iface.kind !== 'loopback',
    );
    const narrow = inNs.sort((a, b) => a.iface.mtu - b.iface.mtu)[0] ?? null;
    const count = s.n;
    if (narrow) ctx.ledger.add(narrow.iface.id, count);
    ctx.findings.add({
      rule: 'R10',
      title: `Packets too big to forward${s.netns !== null ? ` in ${s.netns || 'the host namespace'}` : ''}${narrow ? ` (out of ${narrow.iface.id}, MTU ${narrow.iface.mtu})` : ''}`,
      severity: 'loss',
      hop: narrow?.iface.id ?? null,
      reason: 'PKT_TOO_BIG',
      count,
      evidence: compact([
        ...FRAG_FAILS.filter((k) => (s.c[k] ?? 0) > 0).map(
          (k) => `${k} ${fmtDelta(s.c[k] ?? 0)} in ${s.netns || 'the host namespace'}`,
        ),
        ...reasonLines(groups),
        ...inNs.map((f) => `MTU ${f.iface.mtu} on ${f.iface.id}`),
      ]),
      fix: 'Align MTUs along the path (tenant MTU = physical MTU − tunnel overhead), clamp TCP MSS, and let ICMP "fragmentation needed" through.',
      command: null,
    });
  }
}

/** R10 MTU mismatch, in its three faces on a hypervisor: veth pair, bridge egress, routed hop. */
export const r10Mtu: Rule = {
  id: 'R10',
  name: 'MTU mismatch',
  confirmed(ctx) {
    const victims = new Set(vethVictims(ctx));
    const veths = ranked(
      ctx,
      (f) => ctx.ledger.available(f.iface.id, 'rx'),
      (f) => victims.has(f),
    );
    const withDrops = veths.filter((f) => ctx.ledger.available(f.iface.id, 'rx') > 0);
    withDrops.forEach((f, k) => {
      const want = Math.min(ctx.ledger.available(f.iface.id, 'rx'), ctx.reasons.available(atVethForward));
      if (want <= 0) return;
      // The last victim takes the reasons' surplus (counters and trace are read at different moments).
      const { groups } = ctx.reasons.take(
        atVethForward,
        k === withDrops.length - 1 ? Number.POSITIVE_INFINITY : want,
      );
      vethFinding(ctx, f, ctx.ledger.claim(f.iface.id, 'rx', want), reasonLines(groups));
    });
    const bridged = bridgeVictims(ctx);
    const silent = ctx.reasons.available(atBridgeEgress);
    if (silent > 0 && bridged.length > 0) {
      const victim = bridged.sort((a, b) => a.f.iface.mtu - b.f.iface.mtu)[0]!;
      const { count, groups } = ctx.reasons.take(atBridgeEgress);
      ctx.ledger.add(victim.f.iface.id, count);
      bridgeFinding(ctx, victim.f, victim.biggest, count, reasonLines(groups));
    }
    routed(ctx);
  },
  inferred(ctx) {
    for (const f of vethVictims(ctx)) {
      const n = ctx.ledger.claim(f.iface.id, 'rx', Number.POSITIVE_INFINITY);
      const carries = n > 0 || f.pathIndex !== null || f.through > 0 || (f.peerC?.txPackets ?? 0) > 0;
      if (n > 0 || (carries && !ctx.findings.has('R10', f.iface.id))) {
        const traced = ctx.findings.has('R10', f.iface.id);
        const why = traced
          ? `${fmtCount(n)} more in the counters than in the drop reasons (${ctx.window.tracing.lost > 0 ? 'tracing lost events' : 'read at slightly different moments'})`
          : 'no drop reasons for these drops: inferred from the MTUs and the counters';
        vethFinding(ctx, f, n, n > 0 ? [why] : []);
      }
    }
    for (const { f, biggest } of bridgeVictims(ctx)) {
      if (ctx.findings.has('R10', f.iface.id)) continue;
      if (f.pathIndex !== null || f.through > 0) bridgeFinding(ctx, f, biggest, 0, []);
    }
  },
};
