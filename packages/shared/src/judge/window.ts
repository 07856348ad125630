import type {
  DropReasonCount,
  NsProto,
  OvsSample,
  QdiscDelta,
  Sample,
  SoftnetDelta,
} from '../protocol/model.ts';
import { mergeNsProto } from './window-nsproto.ts';
import { mergeOvs } from './window-ovs.ts';

/** Adds `row` into `acc[id]` in place (a copy the first time): windows of 1000 interfaces × N samples. */
function addRow(acc: Record<string, number[]>, id: string, row: readonly number[]): void {
  const into = acc[id];
  if (!into) {
    acc[id] = row.slice();
    return;
  }
  for (let k = 0; k < row.length; k++) into[k] = (into[k] ?? 0) + (row[k] ?? 0);
}

function mergeSoftnet(acc: Map<number, SoftnetDelta>, rows: readonly SoftnetDelta[]) {
  for (const r of rows) {
    const prev = acc.get(r.cpu);
    acc.set(r.cpu, {
      cpu: r.cpu,
      processed: r.processed + (prev?.processed ?? 0),
      dropped: r.dropped + (prev?.dropped ?? 0),
      timeSqueeze: r.timeSqueeze + (prev?.timeSqueeze ?? 0),
      receivedRps: r.receivedRps + (prev?.receivedRps ?? 0),
      flowLimit: r.flowLimit + (prev?.flowLimit ?? 0),
      // A gauge: the newest reading, or the last one known when this interval had none.
      backlogLen: r.backlogLen ?? prev?.backlogLen ?? null,
    });
  }
}

function mergeQdisc(prev: QdiscDelta | undefined, q: QdiscDelta): QdiscDelta {
  return {
    kind: q.kind,
    packets: q.packets + (prev?.packets ?? 0),
    bytes: q.bytes + (prev?.bytes ?? 0),
    drops: q.drops + (prev?.drops ?? 0),
    overlimits: q.overlimits + (prev?.overlimits ?? 0),
    requeues: q.requeues + (prev?.requeues ?? 0),
    qlen: q.qlen,
  };
}

/**
 * Sum consecutive samples into one window: deltas add up (interface rows, softnet, qdiscs, SNMP,
 * drop reasons by reason + location + CPU, elapsed time, lost trace events); gauges, sysctls and
 * the tracing state are the newest; `t` is the end of the last interval. Samples are taken in
 * time order whatever order they come in. `null` for no samples.
 * @example mergeSamples([s1, s2]).ifaces['eth0'] // s1's row + s2's row, column by column
 */
export function mergeSamples(samples: readonly Sample[]): Sample | null {
  if (samples.length === 0) return null;
  const ordered = [...samples].sort((a, b) => a.t - b.t);
  const ifaces: Record<string, number[]> = {};
  const softnet = new Map<number, SoftnetDelta>();
  const qdiscs: Record<string, QdiscDelta> = {};
  const snmp: Record<string, Record<string, number>> = {};
  const drops = new Map<string, DropReasonCount>();
  let sysctls: Record<string, number> = {};
  let nsproto: Record<string, NsProto> | undefined;
  let ovs: OvsSample | undefined;
  let elapsedMs = 0;
  let lost = 0;
  for (const s of ordered) {
    elapsedMs += s.elapsedMs;
    lost += s.tracing.lost;
    for (const id in s.ifaces) addRow(ifaces, id, s.ifaces[id]!);
    mergeSoftnet(softnet, s.softnet);
    for (const [id, q] of Object.entries(s.qdiscs)) qdiscs[id] = mergeQdisc(qdiscs[id], q);
    for (const [ns, counters] of Object.entries(s.snmp)) {
      const into = snmp[ns] ?? {};
      snmp[ns] = into;
      for (const [name, v] of Object.entries(counters)) into[name] = (into[name] ?? 0) + v;
    }
    for (const d of s.drops) {
      const k = `${d.reason}|${d.location}|${d.cpu}`;
      drops.set(k, { ...d, count: d.count + (drops.get(k)?.count ?? 0) });
    }
    // A sysctl the newest sample no longer reports keeps its last known value.
    sysctls = { ...sysctls, ...s.sysctls };
    if (s.nsproto) {
      nsproto ??= {};
      for (const [ns, p] of Object.entries(s.nsproto)) nsproto[ns] = mergeNsProto(nsproto[ns], p);
    }
    if (s.ovs) ovs = mergeOvs(ovs, s.ovs);
  }
  const last = ordered.at(-1)!;
  return {
    t: last.t,
    elapsedMs,
    ifaces,
    softnet: [...softnet.values()].sort((a, b) => a.cpu - b.cpu),
    qdiscs,
    snmp,
    drops: [...drops.values()],
    sysctls,
    tracing: { ...last.tracing, lost },
    ...(nsproto ? { nsproto } : {}),
    ...(ovs ? { ovs } : {}),
  };
}
