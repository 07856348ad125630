import { IFACE_COUNTERS, type Iface, type Sample, type Topology } from '@hopwatch/shared';

/** One canonical small topology (a veth pair across two namespaces); tests vary one thing. */
export function makeIface(id: string, over: Partial<Iface> = {}): Iface {
  const slash = id.indexOf('/');
  const netns = slash < 0 ? '' : id.slice(0, slash);
  const name = slash < 0 ? id : id.slice(slash + 1);
  return {
    id,
    netns,
    name,
    ifindex: 2,
    kind: 'veth',
    driverKind: 'veth',
    mtu: 1500,
    operstate: 'up',
    adminUp: true,
    carrier: true,
    mac: null,
    addresses: [],
    qdisc: 'noqueue',
    txqueuelen: 1000,
    rpsCpus: null,
    master: null,
    portState: null,
    peer: null,
    lower: null,
    vxlan: null,
    ...over,
  };
}

export function makeTopology(host: string, ids: string[] = ['veth-a', 'ns1/veth-b']): Topology {
  const namespaces = [...new Set(ids.map((id) => (id.includes('/') ? id.split('/')[0]! : '')))];
  return {
    host,
    kernel: '6.18.0-test',
    cpus: 2,
    namespaces: namespaces.map((name, i) => ({ name, inode: 4026531840 + i, forwarding: false })),
    // The canonical pair are each other's veth peer, so a path exists between them.
    ifaces: ids.map((id, i) =>
      makeIface(id, {
        ifindex: i + 2,
        peer: id === 'veth-a' ? 'ns1/veth-b' : id === 'ns1/veth-b' ? 'veth-a' : null,
      }),
    ),
    routes: [],
  };
}

export function row(over: Partial<Record<(typeof IFACE_COUNTERS)[number], number>> = {}): number[] {
  return IFACE_COUNTERS.map((name) => over[name] ?? 0);
}

export function makeSample(
  t: number,
  ifaces: Record<string, number[]> = {},
  over: Partial<Sample> = {},
): Sample {
  return {
    t,
    elapsedMs: 1000,
    ifaces,
    softnet: [
      { cpu: 0, processed: 10, dropped: 0, timeSqueeze: 0, receivedRps: 0, flowLimit: 0, backlogLen: 0 },
      { cpu: 1, processed: 12, dropped: 1, timeSqueeze: 0, receivedRps: 0, flowLimit: 0, backlogLen: null },
    ],
    qdiscs: {},
    snmp: {},
    drops: [],
    sysctls: { 'net.core.netdev_max_backlog': 1000 },
    tracing: { state: 'on', detail: null, lost: 0 },
    ...over,
  };
}
