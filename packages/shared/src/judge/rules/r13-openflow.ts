import type { OvsDropFlow } from '../../protocol/model.ts';
import { shellWord } from '../../text.ts';
import { fmtDelta } from '../format.ts';
import { ovsBridgeHop } from './ovs-hop.ts';
import type { Rule, RuleContext } from './types.ts';

/** What marks an R13 evidence line as a flow: the hop detail's "flows" section picks those lines by it. */
export const FLOW_EVIDENCE = ': flow "';

export const flowText = (f: OvsDropFlow) =>
  `table=${f.table}, priority=${f.priority}${f.match ? `,${f.match}` : ''} actions=drop`;

/**
 * R13 for Open vSwitch (issue 11): OpenFlow flows whose action is drop — the security-group
 * tables of Neutron's OVS firewall driver, explicit drop rules — counted packets in the window.
 * The hop is the flow's bridge; the evidence names the table and the flow. Loss when the bridge
 * is on the asked path (policy dropping the traffic asked about), a warning otherwise.
 */
export const r13OpenFlow: Rule = {
  id: 'R13',
  name: 'Firewall / security-group drops (OpenFlow)',
  confirmed(ctx) {
    const byBridge = new Map<string, OvsDropFlow[]>();
    for (const f of ctx.window.ovs?.dropFlows ?? []) {
      if (f.packets <= 0) continue;
      byBridge.set(f.bridge, [...(byBridge.get(f.bridge) ?? []), f]);
    }
    for (const [bridge, flows] of byBridge)
      finding(
        ctx,
        bridge,
        flows.sort((a, b) => b.packets - a.packets),
      );
  },
};

function finding(ctx: RuleContext, bridge: string, flows: OvsDropFlow[]): void {
  const hop = ovsBridgeHop(ctx, bridge);
  const total = flows.reduce((s, f) => s + f.packets, 0);
  const onPath = hop !== null && (ctx.facts.get(hop.id)?.pathIndex ?? null) !== null;
  const severity = onPath || ctx.path === null ? 'loss' : 'warn';
  if (hop) {
    ctx.ledger.add(hop.id, total, severity === 'loss' ? 'loss' : 'benign');
    ctx.notes.add(hop.id, `R13: ${fmtDelta(total)} packets dropped by OpenFlow rules of ${bridge}`);
  }
  const top = flows[0]!;
  const command = `ovs-ofctl del-flows --strict ${shellWord(bridge)} ${shellWord(
    `table=${top.table},priority=${top.priority}${top.match ? `,${top.match}` : ''}`,
  )}`;
  ctx.findings.add({
    rule: 'R13',
    title: `OpenFlow drop rule on ${bridge}, table ${top.table}: ${top.match || '(all traffic)'}`,
    severity,
    hop: hop?.id ?? null,
    reason: null,
    count: total,
    evidence: [
      ...flows.map(
        (f) =>
          `${bridge} table ${f.table}${FLOW_EVIDENCE}${flowText(f)}"${f.cookie !== '0x0' ? ` (cookie ${f.cookie})` : ''} matched ${fmtDelta(f.packets)} packets`,
      ),
      `read with ovs-ofctl dump-flows ${bridge}: flows whose actions are drop`,
    ],
    fix:
      severity === 'loss'
        ? `An OpenFlow rule on ${bridge} drops traffic of this path (a security group, or a rule added by hand). If it should pass, fix the security group or remove the flow: \`${command}\`.`
        : `OpenFlow policy drops on ${bridge}, not on the asked path. Nothing to do if the block is intended.`,
    command,
  });
}
