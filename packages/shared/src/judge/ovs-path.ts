import type { Iface } from '../protocol/model.ts';

/**
 * Open vSwitch bridges in path finding (issue 11): a learning switch that keeps each VLAN apart.
 * A frame entering by an access port (`tag`) is in that VLAN; by a trunk it keeps the tag it
 * carries (untagged: VLAN 0). It leaves only by access ports of its VLAN (untagged) and trunks
 * that carry the VLAN (tagged, but VLAN 0 untagged). That is what makes br-int's local VLANs
 * separate networks: the way from the uplink to a VM goes through the router, not across br-int.
 * Patch ports are ports like any other (the frame crosses to the peer with its tag).
 */

/** An OVS bridge's own device: it carries the datapath type of its bridge. */
export const isOvsBridge = (i: Iface): boolean => (i.ovs?.datapathType ?? null) !== null;

/**
 * The VLAN inside the bridge of a frame that came in by `port` carrying `tag` (null: untagged);
 * null when the port does not admit it (a trunk not listing the frame's VLAN).
 */
export function ingressVlan(port: Iface | undefined, tag: number | null): number | null {
  const o = port?.ovs;
  if (o?.tag != null) return o.tag;
  const vlan = tag ?? 0;
  return !o || o.trunks.length === 0 || o.trunks.includes(vlan) ? vlan : null;
}

/** May a frame of `vlan` leave by `port`? Ports OVS says nothing of (no `ovs` facts) pass everything. */
export function egressAllowed(port: Iface, vlan: number): boolean {
  const o = port.ovs;
  if (!o) return true;
  if (o.tag !== null) return o.tag === vlan;
  return o.trunks.length === 0 || o.trunks.includes(vlan);
}

/** The tag a frame of `vlan` carries after leaving by `port` (null: untagged). */
export function egressTag(port: Iface, vlan: number): number | null {
  return port.ovs?.tag != null || vlan === 0 ? null : vlan;
}
