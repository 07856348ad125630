import { fmtDelta } from '../format.ts';
import { bridgesOfDatapath } from './ovs-hop.ts';
import type { Rule } from './types.ts';

/** OpenFlow drops are R13's (the flows name them); every other drop coverage counter is the datapath's. */
const PIPELINE = 'drop_action_of_pipeline';

/**
 * R21 Open vSwitch datapath (issue 11): upcalls the datapath gave up on (`lost` of
 * `dpctl/show`: the kernel's or the PMD threads' queue to ovs-vswitchd overflowed) and OVS's own
 * drop counters (`drop_action_*`: no route for a tunnel, too many resubmits, recursion, meters,
 * a tunnel push error...). On the datapath's bridge on the path, else its first bridge.
 */
export const r21OvsDatapath: Rule = {
  id: 'R21',
  name: 'Open vSwitch datapath',
  confirmed(ctx) {
    const ovs = ctx.window.ovs;
    if (!ovs) return;
    for (const dp of ovs.datapaths ?? []) {
      if (dp.lost <= 0) continue;
      const hop = bridgesOfDatapath(ctx, dp.name)[0] ?? null;
      if (hop) ctx.ledger.add(hop.id, dp.lost);
      ctx.findings.add({
        rule: 'R21',
        title: `Open vSwitch datapath ${dp.name} lost ${fmtDelta(dp.lost)} upcalls`,
        severity: 'loss',
        hop: hop?.id ?? null,
        reason: null,
        count: dp.lost,
        evidence: [
          `${dp.name}: lookups hit ${fmtDelta(dp.hit)}, missed ${fmtDelta(dp.missed)}, lost ${fmtDelta(dp.lost)}; ${dp.flows} datapath flows`,
          'lost: packets that missed the datapath flow table and found the upcall queue to ovs-vswitchd full',
        ],
        fix: 'ovs-vswitchd cannot keep up with new flows: reduce flow churn (many short flows, a flood of new sources), raise other_config:flow-limit or the handler threads (other_config:n-handler-threads), give ovs-vswitchd CPU. `ovs-appctl upcall/show` shows the flow limit and dumps.',
        command: 'ovs-appctl upcall/show',
      });
    }
    const drops = Object.entries(ovs.coverage ?? {}).filter(([name, n]) => name !== PIPELINE && n > 0);
    if (drops.length === 0) return;
    const total = drops.reduce((s, [, n]) => s + n, 0);
    const hop = ctx.topology.ifaces
      .filter((i) => i.ovs?.datapathType != null)
      .sort(
        (a, b) =>
          (ctx.facts.get(a.id)?.pathIndex ?? Number.POSITIVE_INFINITY) -
          (ctx.facts.get(b.id)?.pathIndex ?? Number.POSITIVE_INFINITY),
      )[0];
    if (hop) ctx.ledger.add(hop.id, total);
    ctx.findings.add({
      rule: 'R21',
      title: `Open vSwitch dropped packets itself: ${drops.map(([n]) => n).join(', ')}`,
      severity: 'loss',
      hop: hop?.id ?? null,
      reason: null,
      count: total,
      evidence: drops.map(([name, n]) => `coverage ${name} ${fmtDelta(n)}`),
      fix: 'Ask OVS why: `ovs-appctl coverage/show | grep drop` names the action; for a tunnel (no route, push error) check the underlay route and local_ip, for recursion or resubmits the flow tables, for meters the QoS settings. `ovs-appctl ofproto/trace BRIDGE FLOW` shows where a given packet goes.',
      command: 'ovs-appctl coverage/show',
    });
  },
};
