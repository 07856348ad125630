import { fmtDelta } from '../format.ts';
import { withReason } from '../reasons.ts';
import { compact, reasonLines } from './evidence.ts';
import { nsLabel } from './netns-hop.ts';
import { chargePlace, type NsPlace, placeInNamespace, severityFor, shareOut } from './ns-place.ts';
import type { Rule, RuleContext } from './types.ts';

const isNeighFailure = withReason('NEIGH_FAILED', 'NEIGH_DEAD', 'NEIGH_QUEUEFULL');

/** Neighbours the agent saw unresolved, each placed on the interface it waits on (on the path first). */
function waiting(ctx: RuleContext): (NsPlace & { ip: string; dev: string; total: number })[] {
  const out = Object.entries(ctx.window.nsproto ?? {}).flatMap(([netns, p]) =>
    (p.unresolved ?? []).map((u) => ({
      ...placeInNamespace(ctx, netns, 'egress', u.dev),
      ip: u.ip,
      dev: u.dev,
      total: 1,
    })),
  );
  const rank = (d: NsPlace['direction']) => (d === 'forward' ? 0 : d === 'reverse' ? 1 : 2);
  return out.sort((a, b) => rank(a.direction) - rank(b.direction));
}

/**
 * R15 unresolved neighbour: packets queued for a next hop that never answered ARP/ND (or too
 * many queued while it was pending). The reasons carry no device; the namespaces' neighbour
 * tables do: an entry still unresolved names the interface the packets wait to leave by. A down
 * link on the way (R25) takes the reasons first, since that is usually why nobody answers.
 */
export const r15Neighbour: Rule = {
  id: 'R15',
  name: 'Unresolved neighbour',
  confirmed(ctx) {
    const count = ctx.reasons.available(isNeighFailure);
    if (count <= 0) return;
    const entries = waiting(ctx);
    // The path's own next hops explain the drops when there are any; the others share what is left.
    const onPath = entries.filter((e) => e.direction !== 'off-path');
    const suspects = onPath.length > 0 ? onPath : entries;
    const places = suspects.length > 0 ? shareOut(suspects, count) : [null];
    for (const place of places) {
      const share = place === null ? count : place.share;
      if (share <= 0) continue;
      const { groups } = ctx.reasons.take(isNeighFailure, share);
      const queueFull = groups.some((g) => g.reason === 'NEIGH_QUEUEFULL');
      if (place) chargePlace(ctx, place, share, 'R15');
      const where = place ? ` for ${place.ip} on ${place.dev} in ${nsLabel(place.netns)}` : '';
      const ipNeigh = place
        ? `ip ${place.netns === '' ? '' : `-n ${place.netns} `}neigh show dev ${place.dev}`
        : 'ip neigh show nud failed';
      ctx.findings.add({
        rule: 'R15',
        title: queueFull
          ? `Packets dropped while waiting for a neighbour${where} (ARP/ND queue full)`
          : `Neighbour resolution failed${where}: packets for an unreachable next hop were dropped`,
        severity: place ? severityFor(place) : 'loss',
        hop: place?.hop ?? null,
        reason: groups[0]?.reason ?? null,
        count: share,
        evidence: compact([
          ...reasonLines(groups),
          place
            ? `neighbour ${place.ip} on ${place.dev} in ${nsLabel(place.netns)} is unresolved (incomplete or failed)`
            : null,
          place
            ? `attributed ${place.how}`
            : `no namespace reported an unresolved neighbour: ${fmtDelta(share)} drops not tied to a hop`,
        ]),
        fix: queueFull
          ? `The next hop${place ? ` ${place.ip}` : ''} does not answer ARP/ND while packets queue for it: make sure it is up, answers ARP and is on the same layer-2 segment (\`${ipNeigh}\`); raise net.ipv4.neigh.DEV.unres_qlen_bytes only for legitimate bursts.`
          : `The next hop${place ? ` ${place.ip}` : ''} does not answer ARP/ND: check that it is up and on the same layer-2 segment (\`${ipNeigh}\`).`,
        command: ipNeigh,
      });
    }
  },
};
