/**
 * Ids (design.md, "Names and ids"): an interface is `IFNAME` in the host namespace and
 * `NETNS/IFNAME` elsewhere. Linux forbids `/` in both names, so the split is unambiguous.
 * Branded so that a host name, a namespace name and an interface id cannot be mixed up.
 */
export type HostName = string & { readonly __brand: 'HostName' };
export type NetnsName = string & { readonly __brand: 'NetnsName' };
export type IfaceId = string & { readonly __brand: 'IfaceId' };

/** The host's initial namespace is the empty name. */
export const HOST_NETNS = '' as NetnsName;

export function ifaceId(netns: string, ifname: string): IfaceId {
  return (netns === '' ? ifname : `${netns}/${ifname}`) as IfaceId;
}

export function splitIfaceId(id: string): { netns: NetnsName; ifname: string } {
  const slash = id.indexOf('/');
  if (slash < 0) return { netns: HOST_NETNS, ifname: id };
  return { netns: id.slice(0, slash) as NetnsName, ifname: id.slice(slash + 1) };
}

/** An unnamed namespace found through /proc/PID/ns/net is named by its inode. */
export function unnamedNetnsName(inode: number | bigint): NetnsName {
  return `ns-${inode}` as NetnsName;
}

/** Across hosts the hub qualifies an interface id with the host name the agent reports. */
export function qualifiedIfaceId(host: string, id: string): string {
  return `${host}:${id}`;
}
