import type { Iface, Topology } from '@hopwatch/shared';
import type { KindIconName } from './icons.tsx';

/**
 * The icon an interface gets: a veth with an address in a forwarding namespace is a router port;
 * an Open vSwitch bridge's own device looks like a Linux bridge (issue 11: same look, the detail
 * says OVS and its datapath).
 */
export function displayKind(iface: Iface, forwarding: ReadonlySet<string>): KindIconName {
  if (iface.ovs?.datapathType != null) return 'bridge';
  if (
    forwarding.has(iface.netns) &&
    iface.addresses.length > 0 &&
    (iface.kind === 'veth' || iface.kind === 'other')
  ) {
    return 'router-port';
  }
  return iface.kind;
}

export function forwardingNamespaces(topology: Topology): Set<string> {
  return new Set(topology.namespaces.filter((n) => n.forwarding).map((n) => n.name));
}
