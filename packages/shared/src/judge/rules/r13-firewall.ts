import type { FirewallRule } from '../../protocol/model.ts';
import { fmtCount, fmtDelta } from '../format.ts';
import type { ReasonFilter } from '../reasons.ts';
import { compact, reasonLines } from './evidence.ts';
import { nsLabel } from './netns-hop.ts';
import { chargePlace, type NsPlace, placeInNamespace, type Side, shareOut } from './ns-place.ts';
import { shellWord } from '../../text.ts';
import { inNs } from './proto-evidence.ts';
import type { Rule, RuleContext, Severity } from './types.ts';

/** Where a firewall verdict frees the packet: nftables itself, legacy x_tables, or the hook (NF_DROP). */
const FIREWALL_LOCATIONS = [
  'nft_do_chain',
  'ipt_do_table',
  'ip6t_do_table',
  'arpt_do_table',
  'ebt_do_table',
  'nf_hook_slow',
];
const isFirewallDrop: ReasonFilter = (g) =>
  (g.reason === 'NETFILTER_DROP' &&
    (FIREWALL_LOCATIONS.includes(g.location) || g.location.startsWith('nft_'))) ||
  g.reason === 'NETFILTER_REJECT';

const EGRESS_HOOKS = new Set(['output', 'postrouting', 'egress']);

const ruleName = (r: FirewallRule) =>
  r.handle === 0
    ? `policy drop of chain ${r.family} ${r.table} ${r.chain}`
    : `rule "${r.text}" (${r.family} ${r.table} ${r.chain}${r.hook ? `, hook ${r.hook}` : ''}, handle ${r.handle})`;

interface Space {
  netns: string;
  total: number;
  moved: FirewallRule[];
  rules: FirewallRule[];
}

/** Namespaces whose drop/reject rules counted packets; else those that have such rules at all. */
function spacesOf(ctx: RuleContext): { spaces: Space[]; byCounter: boolean } {
  const all = Object.entries(ctx.window.nsproto ?? {}).flatMap(([netns, p]) => {
    const rules = p.firewall ?? [];
    if (rules.length === 0) return [];
    const moved = rules
      .filter((r) => (r.packets ?? 0) > 0)
      .sort((a, b) => (b.packets ?? 0) - (a.packets ?? 0));
    return [{ netns, total: moved.reduce((s, r) => s + (r.packets ?? 0), 0), moved, rules }];
  });
  const counted = all.filter((s) => s.total > 0).sort((a, b) => b.total - a.total);
  if (counted.length > 0) return { spaces: counted, byCounter: true };
  // No counter moved (rules without counters): every namespace with drop rules is a suspect.
  return { spaces: all.map((s) => ({ ...s, total: 1 })), byCounter: false };
}

/** Policy the operator set, dropping the asked traffic, is loss; the same on other traffic is policy. */
function severityOf(place: NsPlace): Severity {
  return place.direction === 'forward' ? 'loss' : 'warn';
}

/**
 * R13 firewall / security-group drops: a drop or reject rule (nftables, or iptables through it)
 * in a namespace. The namespace and the rule are the ones whose counters moved with the
 * NETFILTER_DROP reasons; the hook says whether on the way in or out. A deliberate block is not
 * a fault in itself: on the asked path's own direction it is loss, anywhere else a warning.
 */
export const r13Firewall: Rule = {
  id: 'R13',
  name: 'Firewall / security-group drops',
  confirmed(ctx) {
    const reasons = ctx.reasons.available(isFirewallDrop);
    const { spaces, byCounter } = spacesOf(ctx);
    if (spaces.length === 0) {
      if (reasons > 0) unplaced(ctx, reasons);
      return;
    }
    if (reasons <= 0 && !byCounter) return;
    const counted = spaces.reduce((s, x) => s + x.total, 0);
    for (const s of shareOut(spaces, reasons > 0 ? reasons : counted)) {
      if (s.share <= 0) continue;
      const { groups } = ctx.reasons.take(isFirewallDrop, s.share);
      const hooks = (s.moved.length > 0 ? s.moved : s.rules).map((r) => r.hook);
      const side: Side = hooks.every((h) => h !== null && EGRESS_HOOKS.has(h)) ? 'egress' : 'ingress';
      const place = placeInNamespace(ctx, s.netns, side);
      const severity = severityOf(place);
      if (place.hop !== null) {
        if (severity === 'loss') chargePlace(ctx, place, s.share, 'R13');
        else {
          ctx.ledger.add(place.hop, s.share, 'benign');
          ctx.notes.add(
            place.hop,
            `R13: ${fmtDelta(s.share)} packets dropped by firewall policy in ${nsLabel(s.netns)}${place.direction === 'reverse' ? ' in the reverse direction' : ', not the asked traffic'}`,
          );
        }
      }
      const top = s.moved[0] ?? s.rules[0]!;
      const others = s.rules.filter((r) => !s.moved.includes(r)).slice(0, 3);
      const command =
        top.handle === 0
          ? null
          : inNs(
              s.netns,
              `nft delete rule ${[top.family, top.table, top.chain].map(shellWord).join(' ')} handle ${top.handle}`,
            );
      ctx.findings.add({
        rule: 'R13',
        title: `Firewall drops ${place.direction === 'forward' ? 'the asked traffic' : 'traffic'} in ${nsLabel(s.netns)}: ${top.text}`,
        severity,
        hop: place.hop,
        reason: groups[0]?.reason ?? 'NETFILTER_DROP',
        count: s.share,
        evidence: compact([
          ...s.moved.map((r) => `${ruleName(r)} matched ${fmtDelta(r.packets ?? 0)} packets`),
          ...reasonLines(groups),
          byCounter
            ? null
            : `no rule counter moved: ${nsLabel(s.netns)} is a namespace with drop/reject rules (${fmtCount(s.rules.length)})`,
          ...others.map(
            (r) => `also in the ruleset: ${ruleName(r)}${r.packets === null ? ' (no counter)' : ''}`,
          ),
          `attributed ${place.how}`,
        ]),
        fix:
          severity === 'loss'
            ? `The ${ruleName(top)} in ${nsLabel(s.netns)} drops traffic of this path. If it should pass, change the rule (security group) or remove it${command ? `: \`${command}\`` : ''}.`
            : `Policy drops of traffic other than the asked path's, by ${ruleName(top)}. Nothing to do if the block is intended.`,
        command,
      });
    }
  },
};

function unplaced(ctx: RuleContext, n: number): void {
  const { groups } = ctx.reasons.take(isFirewallDrop);
  ctx.findings.add({
    rule: 'R13',
    title: 'Firewall drops traffic (namespace unknown)',
    severity: 'warn',
    hop: null,
    reason: 'NETFILTER_DROP',
    count: n,
    evidence: [
      ...reasonLines(groups),
      'no namespace reported drop rules (nft not installed, or iptables-legacy rules)',
    ],
    fix: 'Look for the drop rules: `ip netns exec NS nft list ruleset` or `iptables -vnL` in each namespace on the path; the rule whose counter grows is the one.',
    command: null,
  });
}
