/**
 * The lab's topology as plain data (/work/lab-contract.md): an OpenStack-like network node in
 * network namespaces. Everything the lab builds, checks, faults and tears down is derived from
 * this one table, so the contract lives in exactly one place in code.
 */

/** Every namespace the lab makes starts with this; `lab down` finds leftovers by it after a crash. */
export const LAB_PREFIX = 'hwlab-';

export const NS_UP = 'hwlab-up';
export const NS_NODE = 'hwlab-node';
export const NS_ROUTER = 'hwlab-qrouter-a1';
export const NS_DECOY = 'hwlab-qrouter-b2';
export const NS_VM = 'hwlab-vm1';
export const LAB_NAMESPACES = [NS_UP, NS_NODE, NS_ROUTER, NS_DECOY, NS_VM] as const;

export const UPLINK_ADDR = '203.0.113.1';
export const ROUTER_GW_ADDR = '203.0.113.10';
export const DECOY_GW_ADDR = '203.0.113.20';
export const ROUTER_LAN_ADDR = '10.10.0.1';
export const VM_ADDR = '10.10.0.5';

export type LabIfaceKind = 'veth' | 'bridge';

export interface LabIface {
  netns: string;
  name: string;
  kind: LabIfaceKind;
  /** Fixed, locally administered MAC: static FDB and neighbour entries need it known in advance. */
  mac: string;
  /** veth peer as an id. */
  peer?: string;
  /** Bridge (in the same namespace) this is a port of. */
  master?: string;
  /** CIDR. */
  addr?: string;
}

/** 02:48:57 = locally administered + "HW"; the last byte numbers the interface. */
const mac = (n: number) => `02:48:57:00:00:${n.toString(16).padStart(2, '0')}`;

export const LAB_IFACES: readonly LabIface[] = [
  { netns: NS_UP, name: 'wan0', kind: 'veth', mac: mac(1), peer: 'hwlab-node/eno1', addr: '203.0.113.1/24' },
  { netns: NS_NODE, name: 'eno1', kind: 'veth', mac: mac(2), peer: 'hwlab-up/wan0', master: 'br-ex' },
  { netns: NS_NODE, name: 'br-ex', kind: 'bridge', mac: mac(3) },
  {
    netns: NS_NODE,
    name: 'phy-br-ex',
    kind: 'veth',
    mac: mac(4),
    peer: 'hwlab-node/int-br-ex',
    master: 'br-ex',
  },
  {
    netns: NS_NODE,
    name: 'int-br-ex',
    kind: 'veth',
    mac: mac(5),
    peer: 'hwlab-node/phy-br-ex',
    master: 'br-int',
  },
  { netns: NS_NODE, name: 'br-int', kind: 'bridge', mac: mac(6) },
  {
    netns: NS_NODE,
    name: 'tap-qg-a1',
    kind: 'veth',
    mac: mac(7),
    peer: 'hwlab-qrouter-a1/qg-a1',
    master: 'br-int',
  },
  {
    netns: NS_NODE,
    name: 'tap-qg-b2',
    kind: 'veth',
    mac: mac(8),
    peer: 'hwlab-qrouter-b2/qg-b2',
    master: 'br-int',
  },
  { netns: NS_NODE, name: 'br-tenant', kind: 'bridge', mac: mac(9) },
  {
    netns: NS_NODE,
    name: 'tap-qr-a1',
    kind: 'veth',
    mac: mac(10),
    peer: 'hwlab-qrouter-a1/qr-a1',
    master: 'br-tenant',
  },
  {
    netns: NS_NODE,
    name: 'tap-vm1',
    kind: 'veth',
    mac: mac(11),
    peer: 'hwlab-vm1/eth0',
    master: 'br-tenant',
  },
  {
    netns: NS_ROUTER,
    name: 'qg-a1',
    kind: 'veth',
    mac: mac(12),
    peer: 'hwlab-node/tap-qg-a1',
    addr: '203.0.113.10/24',
  },
  {
    netns: NS_ROUTER,
    name: 'qr-a1',
    kind: 'veth',
    mac: mac(13),
    peer: 'hwlab-node/tap-qr-a1',
    addr: '10.10.0.1/24',
  },
  {
    netns: NS_DECOY,
    name: 'qg-b2',
    kind: 'veth',
    mac: mac(14),
    peer: 'hwlab-node/tap-qg-b2',
    addr: '203.0.113.20/24',
  },
  // The kernel here has no dummy driver (and no module loading): the decoy's internal port is a
  // veth to nowhere, its node-side end up but in no bridge (a tenant network without VMs).
  {
    netns: NS_DECOY,
    name: 'qr-b2',
    kind: 'veth',
    mac: mac(15),
    peer: 'hwlab-node/tap-qr-b2',
    addr: '10.20.0.1/24',
  },
  { netns: NS_NODE, name: 'tap-qr-b2', kind: 'veth', mac: mac(17), peer: 'hwlab-qrouter-b2/qr-b2' },
  {
    netns: NS_VM,
    name: 'eth0',
    kind: 'veth',
    mac: mac(16),
    peer: 'hwlab-node/tap-vm1',
    addr: '10.10.0.5/24',
  },
];

export const labIfaceId = (i: Pick<LabIface, 'netns' | 'name'>) => `${i.netns}/${i.name}`;
export const LAB_IFACE_IDS: readonly string[] = LAB_IFACES.map(labIfaceId);

/** The eight-interface inbound path, uplink → router namespace (the seed's picture). */
export const LAB_PATH = [
  'hwlab-up/wan0',
  'hwlab-node/eno1',
  'hwlab-node/br-ex',
  'hwlab-node/phy-br-ex',
  'hwlab-node/int-br-ex',
  'hwlab-node/br-int',
  'hwlab-node/tap-qg-a1',
  'hwlab-qrouter-a1/qg-a1',
] as const;

/** The same path continued through the router to the tenant VM. */
export const LAB_VM_PATH = [
  ...LAB_PATH,
  'hwlab-qrouter-a1/qr-a1',
  'hwlab-node/tap-qr-a1',
  'hwlab-node/br-tenant',
  'hwlab-node/tap-vm1',
  'hwlab-vm1/eth0',
] as const;

/** The seed's hop: the namespace-side veth of the router's gateway port. */
export const SEED_HOP = 'hwlab-qrouter-a1/qg-a1';

export function labIface(id: string): LabIface | undefined {
  return LAB_IFACES.find((i) => labIfaceId(i) === id);
}

export function macOf(id: string): string {
  const iface = labIface(id);
  if (!iface) throw new Error(`not a lab interface: ${id}`);
  return iface.mac;
}

/** The destination whose traffic crosses a hop inbound: the router for the 8-hop path, else the VM. */
export function targetFor(hop: string): string {
  return (LAB_PATH as readonly string[]).includes(hop) ? ROUTER_GW_ADDR : VM_ADDR;
}
