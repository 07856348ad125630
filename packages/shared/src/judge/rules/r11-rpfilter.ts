import { splitIfaceId } from '../../ids.ts';
import { fmtCount } from '../format.ts';
import { withReason } from '../reasons.ts';
import { compact, reasonLines } from './evidence.ts';
import { nsLabel } from './netns-hop.ts';
import {
  chargePlace,
  mibMoved,
  type NsPlace,
  placeInNamespace,
  protoOf,
  severityFor,
  shareOut,
} from './ns-place.ts';
import { shellWord } from '../../text.ts';
import { inNs } from './proto-evidence.ts';
import type { Rule, RuleContext } from './types.ts';

const isRpFilter = withReason('IP_RPFILTER');
const MIB = 'TcpExt.IPReversePathFilter';
const MODE: Record<number, string> = { 1: 'strict', 2: 'loose' };

/** rp_filter in words: the interface's value, `all`'s, and the effective one (the larger). */
function rpLines(ctx: RuleContext, place: NsPlace): string[] {
  const rp = protoOf(ctx, place.netns).rpFilter ?? {};
  const dev = place.hop ? splitIfaceId(place.hop).ifname : null;
  const lines = Object.entries(rp).map(
    ([k, v]) => `net.ipv4.conf.${k}.rp_filter = ${v} (${MODE[v] ?? v}) in ${nsLabel(place.netns)}`,
  );
  if (dev !== null) {
    const eff = Math.max(rp.all ?? 0, rp[dev] ?? 0);
    if (eff > 0)
      lines.push(`effective rp_filter on ${dev}: ${eff} (${MODE[eff] ?? eff}), the larger of all and ${dev}`);
  }
  return lines;
}

/**
 * The routes that send traffic back by another interface than the one it came in by: host and
 * more specific routes whose device is not the entry (what a strict check fails on).
 */
function asymmetricRoutes(ctx: RuleContext, place: NsPlace): string | null {
  if (place.hop === null) return null;
  const odd = ctx.topology.routes.filter(
    (r) =>
      r.netns === place.netns &&
      r.dev !== place.hop &&
      r.dst !== 'default' &&
      (r.via !== null || r.dst.endsWith('/32')),
  );
  if (odd.length === 0) return null;
  const words = odd.map((r) => `${r.dst}${r.via ? ` via ${r.via}` : ''} dev ${splitIfaceId(r.dev).ifname}`);
  return `routes in ${nsLabel(place.netns)} that send answers out by another interface than ${splitIfaceId(place.hop).ifname}: ${words.join('; ')}`;
}

/**
 * R11 reverse-path filter: strict rp_filter dropped packets whose source the namespace would not
 * route back by the interface they came in on (asymmetric routing after a routing change, several
 * gateways, floating IPs). The namespace is the one whose TcpExt.IPReversePathFilter moved, or
 * else the one with rp_filter on; the drop is on its way in.
 */
export const r11RpFilter: Rule = {
  id: 'R11',
  name: 'Reverse-path filter',
  confirmed(ctx) {
    const reasons = ctx.reasons.available(isRpFilter);
    let spaces = mibMoved(ctx, [MIB]);
    if (spaces.length === 0 && reasons > 0) {
      // No counter read yet: the namespaces with rp_filter on, on the path first.
      const withRp = Object.entries(ctx.window.nsproto ?? {})
        .filter(([, p]) => Object.keys(p.rpFilter ?? {}).length > 0)
        .map(([netns]) => netns)
        .sort((a, b) => Number(onPath(ctx, b)) - Number(onPath(ctx, a)));
      if (withRp[0] !== undefined)
        spaces = [
          {
            netns: withRp[0],
            total: reasons,
            lines: [`${MIB} not read yet; ${nsLabel(withRp[0])} is the namespace with rp_filter on`],
          },
        ];
    }
    if (spaces.length === 0) {
      if (reasons > 0) unplaced(ctx, reasons);
      return;
    }
    const counted = spaces.reduce((s, x) => s + x.total, 0);
    for (const s of shareOut(spaces, Math.max(reasons, counted))) {
      if (s.share <= 0) continue;
      const { groups } = ctx.reasons.take(isRpFilter, s.share);
      const place = placeInNamespace(ctx, s.netns, 'ingress');
      chargePlace(ctx, place, s.share, 'R11');
      const dev = place.hop ? splitIfaceId(place.hop).ifname : 'IFACE';
      const command = inNs(
        s.netns,
        `sysctl -w net.ipv4.conf.all.rp_filter=2 ${shellWord(`net.ipv4.conf.${dev}.rp_filter=2`)}`,
      );
      ctx.findings.add({
        rule: 'R11',
        title: `Reverse-path filter drops traffic entering ${nsLabel(s.netns)}${place.direction === 'reverse' ? ' (the reverse direction)' : ''}`,
        severity: severityFor(place),
        hop: place.hop,
        reason: groups[0]?.reason ?? 'IP_RPFILTER',
        count: s.share,
        evidence: compact([
          ...s.lines,
          ...reasonLines(groups),
          ...rpLines(ctx, place),
          asymmetricRoutes(ctx, place),
          `attributed ${place.how}`,
        ]),
        fix: `The way back to these sources leaves ${nsLabel(s.netns)} by another interface than ${dev}, so strict rp_filter drops them. Fix the asymmetric route, or make the check loose (2) where asymmetry is intended: \`${command}\`.`,
        command,
      });
    }
  },
};

function onPath(ctx: RuleContext, netns: string): boolean {
  return (ctx.path ?? []).some((id) => ctx.facts.get(id)?.iface.netns === netns);
}

function unplaced(ctx: RuleContext, n: number): void {
  const { groups } = ctx.reasons.take(isRpFilter);
  ctx.findings.add({
    rule: 'R11',
    title: 'Reverse-path filter drops traffic',
    severity: 'loss',
    hop: null,
    reason: 'IP_RPFILTER',
    count: n,
    evidence: [
      ...reasonLines(groups),
      `no namespace reported rp_filter on or ${MIB}: ${fmtCount(n)} drops not tied to a hop`,
    ],
    fix: 'A namespace with strict rp_filter (1) receives traffic it would route back another way: find it with `ip netns exec NS sysctl net.ipv4.conf.all.rp_filter`, fix the route or set rp_filter to 2 (loose).',
    command: null,
  });
}
