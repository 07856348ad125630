import type { ReasonFilter } from '../reasons.ts';
import { fmtCount, fmtDelta } from '../format.ts';
import { compact, reasonLines } from './evidence.ts';
import { nsLabel } from './netns-hop.ts';
import { chargePlace, placeInNamespace, severityFor, shareOut } from './ns-place.ts';
import type { Rule, RuleContext } from './types.ts';

export const CONNTRACK_MAX = 'net.netfilter.nf_conntrack_max';
/** A namespace this close to the maximum is one burst away from dropping new flows. */
const NEAR_FULL = 0.9;

/**
 * Where a full table or a failed insert frees the packet: nf_hook_slow (the NF_DROP verdict of
 * nf_conntrack_in, verified in the lab) or conntrack's own functions. nft's own drops are freed in
 * nft_do_chain and belong to R13.
 */
const isConntrackDrop: ReasonFilter = (g) =>
  g.reason === 'NETFILTER_DROP' &&
  (g.location === 'nf_hook_slow' ||
    g.location.startsWith('nf_conntrack') ||
    g.location.startsWith('__nf_conntrack'));

function countLine(ctx: RuleContext, netns: string, count: number): string {
  const max = ctx.window.sysctls[CONNTRACK_MAX];
  return max === undefined
    ? `nf_conntrack_count ${fmtCount(count)} in ${nsLabel(netns)}`
    : `nf_conntrack_count ${fmtCount(count)} in ${nsLabel(netns)} of ${CONNTRACK_MAX} = ${fmtCount(max)} (global: every namespace may hold that many)`;
}

/**
 * R12 conntrack table full / insert failures: new connections dropped because the namespace's
 * conntrack table reached nf_conntrack_max (early_drop found nothing to evict) or the insert
 * clashed. The namespace's own /proc/net/stat/nf_conntrack says which namespace and how many;
 * the NETFILTER_DROP reasons at nf_hook_slow confirm them.
 */
export const r12Conntrack: Rule = {
  id: 'R12',
  name: 'Conntrack table full / insert failures',
  confirmed(ctx) {
    const spaces = Object.entries(ctx.window.nsproto ?? {})
      .flatMap(([netns, p]) => {
        const ct = p.conntrack;
        if (!ct || ct.drop + ct.insertFailed <= 0) return [];
        return [{ netns, ct, total: ct.drop + ct.insertFailed }];
      })
      .sort((a, b) => b.total - a.total);
    if (spaces.length === 0) return;
    const counted = spaces.reduce((s, x) => s + x.total, 0);
    const reasons = Math.min(ctx.reasons.available(isConntrackDrop), counted);
    for (const s of shareOut(spaces, counted)) {
      const { groups } = ctx.reasons.take(isConntrackDrop, Math.min(s.share, reasons));
      const place = placeInNamespace(ctx, s.netns, 'ingress');
      chargePlace(ctx, place, s.total, 'R12');
      const max = ctx.window.sysctls[CONNTRACK_MAX];
      const next = Math.max(262_144, 4 * (max ?? 65_536));
      const command = `sysctl -w ${CONNTRACK_MAX}=${next}`;
      const full = s.ct.drop > 0;
      ctx.findings.add({
        rule: 'R12',
        title: full
          ? `Conntrack table full in ${nsLabel(s.netns)}: new connections dropped${max === undefined ? '' : ` (nf_conntrack_max = ${fmtCount(max)})`}`
          : `Conntrack insert failures in ${nsLabel(s.netns)}`,
        severity: severityFor(place),
        hop: place.hop,
        reason: groups[0]?.reason ?? 'NETFILTER_DROP',
        count: s.total,
        evidence: compact([
          s.ct.drop > 0
            ? `nf_conntrack drop ${fmtDelta(s.ct.drop)} in ${nsLabel(s.netns)} (table full, nothing to evict)`
            : null,
          s.ct.insertFailed > 0
            ? `nf_conntrack insert_failed ${fmtDelta(s.ct.insertFailed)} in ${nsLabel(s.netns)}`
            : null,
          s.ct.earlyDrop > 0
            ? `nf_conntrack early_drop ${fmtDelta(s.ct.earlyDrop)} (entries evicted to make room)`
            : null,
          countLine(ctx, s.netns, s.ct.count),
          ...reasonLines(groups),
          `attributed ${place.how}`,
        ]),
        fix: full
          ? `Raise the table size (a global knob, set in the host namespace): \`${command}\`; also shorter timeouts (net.netfilter.nf_conntrack_udp_timeout) or NOTRACK for stateless traffic.`
          : 'Insert failures are clashes of simultaneous new connections (often UDP to the same tuple from several CPUs): update the kernel, or NOTRACK the traffic that needs no state.',
        command: full ? command : null,
      });
    }
  },
  inferred(ctx) {
    const max = ctx.window.sysctls[CONNTRACK_MAX];
    if (max === undefined || max <= 0) return;
    for (const [netns, p] of Object.entries(ctx.window.nsproto ?? {})) {
      const ct = p.conntrack;
      if (!ct || ct.count < NEAR_FULL * max || ctx.findings.has('R12', null)) continue;
      const place = placeInNamespace(ctx, netns, 'ingress');
      if (place.hop !== null && ctx.findings.has('R12', place.hop)) continue;
      ctx.findings.add({
        rule: 'R12',
        title: `Conntrack table nearly full in ${nsLabel(netns)}`,
        severity: 'warn',
        hop: place.hop,
        reason: null,
        count: 0,
        evidence: [
          countLine(ctx, netns, ct.count),
          ct.earlyDrop > 0 ? `nf_conntrack early_drop ${fmtDelta(ct.earlyDrop)}` : 'no drop yet',
        ],
        fix: `New connections will be dropped once the table is full: \`sysctl -w ${CONNTRACK_MAX}=${Math.max(262_144, 4 * max)}\`.`,
        command: `sysctl -w ${CONNTRACK_MAX}=${Math.max(262_144, 4 * max)}`,
      });
    }
  },
};
