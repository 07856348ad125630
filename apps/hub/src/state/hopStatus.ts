import { HOP_STATUSES, type HopReport, type HopStatus } from '@hopwatch/shared';

const INDEX = new Map<HopStatus, number>(HOP_STATUSES.map((s, i) => [s, i]));

/**
 * What a host keeps of a judgement besides its summary: each hop's status, all that
 * `hopwatch_hop_status` says. `netns` and `names` are the topology's own strings (the reports
 * point at them), `status` an index into HOP_STATUSES per hop, in the reports' order.
 *
 * Why not the reports themselves (issue 12): localize() of a 1000-interface host is ~1000
 * report objects with their arrays (~185 KB), and a host held its latest for a whole chunk
 * (10 s), so every judgement outlived two scavenges, was copied into the old generation and
 * died there: at 200 hosts ~20 judgements a second, a steady part of what filled the old
 * generation and made a replica mark-compact its heap every few seconds. This is three objects
 * per host, whatever its size.
 */
export interface HopStatuses {
  readonly netns: readonly string[];
  readonly names: readonly string[];
  readonly status: Uint8Array;
}

export function hopStatusesOf(reports: ReadonlyMap<string, HopReport>): HopStatuses {
  const netns = new Array<string>(reports.size);
  const names = new Array<string>(reports.size);
  const status = new Uint8Array(reports.size);
  let i = 0;
  for (const r of reports.values()) {
    netns[i] = r.netns;
    names[i] = r.name;
    status[i] = INDEX.get(r.status) ?? 0;
    i += 1;
  }
  return { netns, names, status };
}
