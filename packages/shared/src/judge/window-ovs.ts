import type { OvsDatapath, OvsDropFlow, OvsSample } from '../protocol/model.ts';

/**
 * Two samples' Open vSwitch parts as one (issue 11): the connection state is the newest;
 * datapath lookups, drop coverage and drop flows' packets add up (they are deltas), a datapath's
 * flow count is the newest reading.
 */
export function mergeOvs(acc: OvsSample | undefined, s: OvsSample): OvsSample {
  if (!acc) return s;
  const out: OvsSample = { state: s.state, detail: s.detail };
  const dps = new Map<string, OvsDatapath>();
  for (const d of [...(acc.datapaths ?? []), ...(s.datapaths ?? [])]) {
    const p = dps.get(d.name);
    dps.set(
      d.name,
      p
        ? {
            name: d.name,
            hit: p.hit + d.hit,
            missed: p.missed + d.missed,
            lost: p.lost + d.lost,
            flows: d.flows,
          }
        : d,
    );
  }
  if (dps.size > 0) out.datapaths = [...dps.values()];
  const coverage: Record<string, number> = { ...acc.coverage };
  for (const [k, v] of Object.entries(s.coverage ?? {})) coverage[k] = (coverage[k] ?? 0) + v;
  if (Object.keys(coverage).length > 0) out.coverage = coverage;
  const flows = new Map<string, OvsDropFlow>();
  for (const f of [...(acc.dropFlows ?? []), ...(s.dropFlows ?? [])]) {
    const k = `${f.bridge}|${f.table}|${f.priority}|${f.cookie}|${f.match}`;
    const p = flows.get(k);
    flows.set(k, p ? { ...f, packets: p.packets + f.packets } : f);
  }
  if (flows.size > 0) out.dropFlows = [...flows.values()];
  return out;
}
