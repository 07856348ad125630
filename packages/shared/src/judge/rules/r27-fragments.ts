import { withReason } from '../reasons.ts';
import { compact, reasonLines } from './evidence.ts';
import { nsLabel } from './netns-hop.ts';
import { chargePlace, mibMoved, placeInNamespace, severityFor, shareOut } from './ns-place.ts';
import { inNs } from './proto-evidence.ts';
import type { Rule } from './types.ts';

const isFrag = withReason('FRAG_REASM_TIMEOUT', 'DUP_FRAG', 'FRAG_TOO_FAR', 'IP_FRAG_REASM');
const MIBS = ['Ip.ReasmFails', 'Ip.ReasmTimeout'];

/**
 * R27 fragmentation / reassembly: fragments that never made a whole packet (one lost, too slow,
 * duplicates, too far apart). Conntrack reassembles in router namespaces, so it happens there,
 * on the way in; the namespace is the one whose Ip.ReasmFails moved.
 */
export const r27Fragments: Rule = {
  id: 'R27',
  name: 'Fragmentation / reassembly',
  confirmed(ctx) {
    const reasons = ctx.reasons.available(isFrag);
    const spaces = mibMoved(ctx, MIBS);
    if (reasons <= 0 && spaces.length === 0) return;
    const counted = spaces.reduce((s, x) => s + x.total, 0);
    const list = spaces.length > 0 ? shareOut(spaces, Math.max(reasons, counted)) : [null];
    for (const s of list) {
      const share = s === null ? reasons : s.share;
      if (share <= 0) continue;
      const { groups } = ctx.reasons.take(isFrag, share);
      const place = s ? placeInNamespace(ctx, s.netns, 'ingress') : null;
      if (place) chargePlace(ctx, place, share, 'R27');
      const command = inNs(s?.netns ?? '', 'sysctl -w net.ipv4.ipfrag_high_thresh=8388608');
      ctx.findings.add({
        rule: 'R27',
        title: `Fragments dropped before reassembly${s ? ` in ${nsLabel(s.netns)}` : ''}`,
        severity: place ? severityFor(place) : 'loss',
        hop: place?.hop ?? null,
        reason: groups[0]?.reason ?? null,
        count: share,
        evidence: compact([
          ...(s?.lines ?? []),
          ...reasonLines(groups),
          place ? `attributed ${place.how}` : null,
        ]),
        fix: `Avoid fragmentation (align MTUs, R10; clamp MSS); if fragments are legitimate, give reassembly more memory or time: \`${command}\` (net.ipv4.ipfrag_time for the timeout).`,
        command,
      });
    }
  },
};
