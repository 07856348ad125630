import { arr, isObject, type Json, type JsonObject, num, obj, str } from './json.ts';

/** One interface as `ip -j -d addr show` prints it, reduced to what the topology needs. */
export interface IpLink {
  ifindex: number;
  name: string;
  flags: string[];
  mtu: number;
  qdisc: string | null;
  operstate: string;
  txqlen: number | null;
  linkType: string | null;
  mac: string | null;
  master: string | null;
  /** IFLA_LINK: the peer (veth) or lower device (macvlan, vlan) ifindex... */
  linkIndex: number | null;
  /** ...in the namespace with this nsid, as seen from this interface's namespace; null = same. */
  linkNetnsid: number | null;
  /** ...or its name, when iproute2 resolved it in the same namespace. */
  linkName: string | null;
  infoKind: string | null;
  infoSlaveKind: string | null;
  /** Bridge port STP state (info_slave_data.state). */
  portState: string | null;
  /** tun/tap: info_data.type. */
  tunType: string | null;
  vxlan: {
    vni: number | null;
    port: number | null;
    local: string | null;
    remote: string | null;
    link: string | null;
  } | null;
  /** Set for devices on a bus (PCI, virtio, ...): a physical NIC. */
  parentBus: string | null;
  addresses: string[];
}

export function parseIpLinks(doc: Json | null): IpLink[] {
  if (!Array.isArray(doc)) return [];
  const links: IpLink[] = [];
  for (const entry of doc) {
    if (!isObject(entry)) continue;
    const link = parseIpLink(entry);
    if (link) links.push(link);
  }
  return links;
}

function parseIpLink(o: JsonObject): IpLink | null {
  const ifindex = num(o, 'ifindex');
  const name = str(o, 'ifname');
  if (ifindex === null || name === null) return null;
  const linkinfo = obj(o, 'linkinfo');
  const infoData = obj(linkinfo, 'info_data');
  const infoKind = str(linkinfo, 'info_kind');
  const slaveData = obj(linkinfo, 'info_slave_data');
  return {
    ifindex,
    name,
    flags: arr(o, 'flags').filter((f): f is string => typeof f === 'string'),
    mtu: num(o, 'mtu') ?? 0,
    qdisc: str(o, 'qdisc'),
    operstate: (str(o, 'operstate') ?? 'unknown').toLowerCase(),
    txqlen: num(o, 'txqlen'),
    linkType: str(o, 'link_type'),
    mac: str(o, 'address'),
    master: str(o, 'master'),
    linkIndex: num(o, 'link_index'),
    linkNetnsid: num(o, 'link_netnsid'),
    linkName: str(o, 'link'),
    infoKind,
    infoSlaveKind: str(linkinfo, 'info_slave_kind'),
    portState: str(slaveData, 'state'),
    tunType: infoKind === 'tun' ? str(infoData, 'type') : null,
    vxlan:
      infoKind === 'vxlan'
        ? {
            vni: num(infoData, 'id'),
            port: num(infoData, 'port'),
            local: str(infoData, 'local') ?? str(infoData, 'local6'),
            remote: str(infoData, 'remote') ?? str(infoData, 'remote6') ?? str(infoData, 'group'),
            link: str(infoData, 'link'),
          }
        : null,
    parentBus: str(o, 'parentbus'),
    addresses: arr(o, 'addr_info').flatMap((a) => {
      const local = isObject(a) ? str(a, 'local') : null;
      const prefix = isObject(a) ? num(a, 'prefixlen') : null;
      return local !== null && prefix !== null ? [`${local}/${prefix}`] : [];
    }),
  };
}
