import { shellWord } from '../../text.ts';
import { fmtCount, nsCommand } from '../format.ts';
import { withReason } from '../reasons.ts';
import { compact, reasonLines } from './evidence.ts';
import { nsLabel } from './netns-hop.ts';
import {
  chargePlace,
  mibMoved,
  type NsPlace,
  placeInNamespace,
  type Side,
  severityFor,
  shareOut,
} from './ns-place.ts';
import { connectedSubnet, gatewayFor, routeLines } from './proto-evidence.ts';
import type { Rule, RuleContext } from './types.ts';

interface Family {
  reason: string;
  mib: string;
  side: Side;
  what: string;
}

/** Each no-route drop with the namespace counter that moves with it and where it happens. */
const FAMILIES: readonly Family[] = [
  {
    reason: 'IP_INNOROUTES',
    mib: 'IpExt.InNoRoutes',
    side: 'ingress',
    what: 'no route for packets it received',
  },
  {
    reason: 'IP_INADDRERRORS',
    mib: 'Ip.InAddrErrors',
    side: 'ingress',
    what: 'an unreachable or invalid destination for packets it received',
  },
  { reason: 'IP_OUTNOROUTES', mib: 'Ip.OutNoRoutes', side: 'egress', what: 'no route for packets it sent' },
];

/** The missing route, as a command: the path's exit subnet, or a way back for a namespace that cannot answer. */
function fixFor(ctx: RuleContext, place: NsPlace): { fix: string; command: string | null } {
  const ns = place.netns;
  const hop = place.hop ? ctx.facts.get(place.hop) : undefined;
  // Interface names are the tenant's: quoted, like the namespace (nsCommand), for a root shell.
  const ip = (args: string) => nsCommand('ip', ns, args);
  if (hop && place.direction === 'forward') {
    // Received and not routable: the route missing is the one by the path's next interface here.
    const exit = (ctx.path ?? []).filter((id) => ctx.facts.get(id)?.iface.netns === ns).at(-1);
    const exitIface = exit ? ctx.facts.get(exit)?.iface : undefined;
    const exitSubnet = exitIface?.addresses.map(connectedSubnet).find((x) => x !== null);
    const leaves = ctx.topology.routes.some((r) => r.netns === ns && r.dev === exit);
    if (exitIface && exitSubnet && exit !== place.hop && !leaves) {
      const command = ip(`route replace ${exitSubnet} dev ${shellWord(exitIface.name)}`);
      return {
        fix: `${nsLabel(ns)} has no route by ${exitIface.name}, where the path goes on: add it (\`${command}\`).`,
        command,
      };
    }
  }
  if (hop && place.direction === 'forward' && place.hop === (ctx.path ?? []).at(0)) {
    // The source namespace cannot send: a route to the path's destination via the next router on it.
    const path = ctx.path ?? [];
    const dest = ctx.facts
      .get(path.at(-1) ?? '')
      ?.iface.addresses.map(connectedSubnet)
      .find((x) => x !== null);
    const router = path
      .map((id) => ctx.facts.get(id)?.iface)
      .find(
        (i) =>
          i && ctx.topology.namespaces.find((n) => n.name === i.netns)?.forwarding && i.addresses.length > 0,
      );
    const via = router?.addresses[0]?.split('/')[0];
    if (dest && via) {
      const command = ip(`route replace ${dest} via ${via} dev ${shellWord(hop.iface.name)}`);
      return {
        fix: `${nsLabel(ns)} has no route to ${dest}, where the path goes: add it (\`${command}\`).`,
        command,
      };
    }
  }
  if (hop && place.direction === 'reverse') {
    const gw = gatewayFor(ctx, hop.iface);
    const command = ip(`route replace default via ${gw ?? 'GATEWAY'} dev ${shellWord(hop.iface.name)}`);
    return { fix: `${nsLabel(ns)} receives but has no route back: give it one (\`${command}\`).`, command };
  }
  return {
    fix: `Add the missing route in ${nsLabel(ns)} (\`${ip('route get ADDRESS')}\` says which one fails).`,
    command: null,
  };
}

/**
 * R16 no route: the kernel dropped packets because a namespace had no route for them
 * (IP_INNOROUTES / IP_OUTNOROUTES, or an unreachable route: IP_INADDRERRORS). The reasons carry
 * no namespace; the namespace whose SNMP counter moved with them does, and the path says on
 * which of its interfaces (the one the path enters by; the one it leaves by for sent packets).
 * Works from the counters alone too: a sender refused with ENETUNREACH frees no packet at all.
 */
export const r16NoRoute: Rule = {
  id: 'R16',
  name: 'No route',
  confirmed(ctx) {
    for (const fam of FAMILIES) {
      const isFam = withReason(fam.reason);
      const reasons = ctx.reasons.available(isFam);
      const spaces = mibMoved(ctx, [fam.mib]);
      if (spaces.length === 0 && reasons > 0 && fam.reason === 'IP_INNOROUTES') {
        // Only a forwarding namespace looks for a route to forward by (elsewhere the same packet
        // is IP_INADDRERRORS): with one on the path, it is the one.
        const fwd = forwardingOnPath(ctx);
        if (fwd.length === 1)
          spaces.push({
            netns: fwd[0]!,
            total: reasons,
            lines: [
              `${fam.mib} not read yet; ${nsLabel(fwd[0]!)} is the only forwarding namespace on the path`,
            ],
          });
      }
      if (spaces.length === 0) {
        if (reasons > 0) unplaced(ctx, fam, reasons);
        continue;
      }
      const counted = spaces.reduce((s, x) => s + x.total, 0);
      for (const s of shareOut(spaces, Math.max(reasons, counted))) {
        if (s.share <= 0) continue;
        const { groups } = ctx.reasons.take(isFam, s.share);
        const place = placeInNamespace(ctx, s.netns, fam.side);
        chargePlace(ctx, place, s.share, 'R16');
        const { fix, command } = fixFor(ctx, place);
        ctx.findings.add({
          rule: 'R16',
          title: `No route in ${nsLabel(s.netns)}: ${fam.what}${place.direction === 'reverse' ? ' (the reverse direction)' : ''}`,
          severity: severityFor(place),
          hop: place.hop,
          reason: groups[0]?.reason ?? fam.reason,
          count: s.share,
          evidence: compact([
            ...s.lines,
            ...reasonLines(groups),
            `attributed ${place.how}`,
            routeLines(ctx, s.netns),
          ]),
          fix,
          command,
        });
      }
    }
  },
};

function forwardingOnPath(ctx: RuleContext): string[] {
  return (ctx.path ?? [])
    .map((id) => ctx.facts.get(id)?.iface.netns)
    .filter((ns, i, all): ns is string => ns !== undefined && all.indexOf(ns) === i)
    .filter((ns) => ctx.topology.namespaces.find((x) => x.name === ns)?.forwarding);
}

/** Reasons without a namespace that counted them (a counter not read yet): said, on no hop. */
function unplaced(ctx: RuleContext, fam: Family, n: number): void {
  const { groups } = ctx.reasons.take(withReason(fam.reason));
  const forwarding = forwardingOnPath(ctx);
  ctx.findings.add({
    rule: 'R16',
    title: `No route: ${fam.what}`,
    severity: 'loss',
    hop: null,
    reason: fam.reason,
    count: n,
    evidence: compact([
      ...reasonLines(groups),
      `no namespace's ${fam.mib} moved yet: ${fmtCount(n)} drops not tied to a hop`,
      ...forwarding.map((ns) => routeLines(ctx, ns)),
    ]),
    fix: `A namespace has no route for this traffic; on the path, check the routes of the forwarding namespaces${forwarding.length > 0 ? ` (${forwarding.join(', ')})` : ''}.`,
    command: null,
  });
}
