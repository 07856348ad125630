import type { Iface } from '../../protocol/model.ts';
import type { RuleContext } from './types.ts';

/** The hop of an Open vSwitch bridge: its own device (the one carrying its datapath type). */
export function ovsBridgeHop(ctx: RuleContext, bridge: string): Iface | null {
  return ctx.topology.ifaces.find((i) => i.ovs?.bridge === bridge && i.ovs.datapathType !== null) ?? null;
}

/** The OVS bridges of a datapath (`netdev@ovs-netdev` → netdev), the path's first. */
export function bridgesOfDatapath(ctx: RuleContext, datapath: string): Iface[] {
  const type = datapath.split('@')[0] ?? '';
  const all = ctx.topology.ifaces.filter((i) => i.ovs && i.ovs.datapathType === type);
  const onPath = (i: Iface) => ctx.facts.get(i.id)?.pathIndex ?? Number.POSITIVE_INFINITY;
  return all.sort((a, b) => onPath(a) - onPath(b));
}
