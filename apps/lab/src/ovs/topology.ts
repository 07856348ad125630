/**
 * `lab up --ovs`: the same network node built the ML2/OVS way. The namespaces, veths, addresses
 * and the eight-hop ids stay those of the Linux-bridge lab; what changes is in hwlab-node:
 * - br-ex and br-int are Open vSwitch bridges (netdev datapath: each bridge's internal port is a
 *   tap device of the bridge's name in hwlab-node, where ovs-vswitchd runs);
 * - phy-br-ex ⇄ int-br-ex are OVS patch ports, no kernel device at all;
 * - br-tenant is gone: the router's qr- port and the VM's tap are br-int ports on the tenant's
 *   local VLAN (tag 2), the gateway ports and int-br-ex on the external network's (tag 1), as
 *   Neutron's OVS agent tags br-int ports (its flows translate provider VLANs on int-br-ex; here
 *   int-br-ex is simply an access port of VLAN 1, which has the same effect for untagged traffic);
 * - br-tun with a VXLAN port toward another (absent) network node, patched to br-int on a VLAN
 *   nothing uses, so no lab frame goes there.
 */
import { dirname, join } from 'node:path';
import { STATE_PATH } from '../state.ts';
import { LAB_IFACES, LAB_PATH, type LabIface, labIfaceId, NS_NODE } from '../topology.ts';
import { ovsMgmtPath, ovsPaths } from './daemon.ts';

/** Where the lab's private OVS keeps everything: next to the lab's state file. */
export const LAB_OVS_DIR = join(dirname(STATE_PATH), 'ovs');
export const labOvsSocket = (dir = LAB_OVS_DIR) => ovsPaths(dir).sock;
/** A bridge's OpenFlow management socket in the lab's private OVS run directory. */
export const ovsMgmt = (bridge: string) => ovsMgmtPath(LAB_OVS_DIR, bridge);

export interface OvsPort {
  name: string;
  /** Access VLAN (the port's `tag`). */
  tag?: number;
  patchPeer?: string;
  vxlanRemote?: string;
}

export interface OvsBridge {
  name: string;
  ports: OvsPort[];
}

export const EXT_VLAN = 1;
export const TENANT_VLAN = 2;
/** The decoy router's tenant network: a VLAN of its own, with only the router's port on it. */
export const DECOY_TENANT_VLAN = 3;
/** br-int's patch to br-tun sits on a VLAN no lab port uses: the tunnel bridge stays quiet. */
export const TUN_VLAN = 4000;
/** The VXLAN port's remote (TEST-NET-1): no route leads there from hwlab-node, nothing is sent. */
export const VXLAN_REMOTE = '192.0.2.2';
export const VXLAN_PORT = 'vxlan-c0000202';

export const LAB_OVS_BRIDGES: readonly OvsBridge[] = [
  {
    name: 'br-ex',
    ports: [{ name: 'eno1' }, { name: 'phy-br-ex', patchPeer: 'int-br-ex' }],
  },
  {
    name: 'br-int',
    ports: [
      { name: 'int-br-ex', patchPeer: 'phy-br-ex', tag: EXT_VLAN },
      { name: 'tap-qg-a1', tag: EXT_VLAN },
      { name: 'tap-qg-b2', tag: EXT_VLAN },
      { name: 'tap-qr-a1', tag: TENANT_VLAN },
      { name: 'tap-vm1', tag: TENANT_VLAN },
      { name: 'tap-qr-b2', tag: DECOY_TENANT_VLAN },
      { name: 'patch-tun', patchPeer: 'patch-int', tag: TUN_VLAN },
    ],
  },
  {
    name: 'br-tun',
    ports: [
      { name: 'patch-int', patchPeer: 'patch-tun' },
      { name: VXLAN_PORT, vxlanRemote: VXLAN_REMOTE },
    ],
  },
];

/** Lab interfaces the Linux-bridge lab makes in the kernel that OVS replaces. */
export const OVS_REPLACED: ReadonlySet<string> = new Set(
  ['br-ex', 'br-int', 'br-tenant', 'phy-br-ex', 'int-br-ex'].map((n) => `${NS_NODE}/${n}`),
);

/** The kernel devices of the OVS lab: the Linux lab's, minus what OVS replaces, none in a Linux bridge. */
export function ovsLabIfaces(): LabIface[] {
  return LAB_IFACES.filter((i) => !OVS_REPLACED.has(labIfaceId(i))).map((i) => {
    const { master: _m, ...rest } = i;
    return rest;
  });
}

/** Patch ports of the OVS lab, as ids in hwlab-node (where the lab's OVS runs). */
export const LAB_OVS_PATCH_IDS: readonly string[] = LAB_OVS_BRIDGES.flatMap((b) =>
  b.ports.filter((p) => p.patchPeer !== undefined).map((p) => `${NS_NODE}/${p.name}`),
);

/** The OVS lab's path from the uplink to the VM: the eight hops of LAB_PATH (same ids), then through the router and back into br-int on VLAN 2. */
export const LAB_OVS_VM_PATH = [
  ...LAB_PATH,
  'hwlab-qrouter-a1/qr-a1',
  'hwlab-node/tap-qr-a1',
  'hwlab-node/br-int',
  'hwlab-node/tap-vm1',
  'hwlab-vm1/eth0',
] as const;

/** The cookie of the flow-drop fault's OpenFlow rule: `del-flows cookie=C/-1` removes exactly it. */
export const FLOW_DROP_COOKIE = '0x4857';
export const FLOW_DROP_TABLE = 0;
export const FLOW_DROP_PRIORITY = 200;
/** The peer name the patch-peer fault gives phy-br-ex: no port of that name exists. */
export const MISSING_PEER = 'int-br-ex-gone';

/**
 * `ovs-vsctl` arguments (one transaction) that make the OVS lab's bridges and ports, or put them
 * back after a fault, idempotently: --may-exist adds, `set` restores tags and patch peers.
 */
export function ovsBaselineArgs(): string[] {
  const args: string[] = [];
  const cmd = (...a: string[]) => args.push('--', ...a);
  for (const b of LAB_OVS_BRIDGES) {
    cmd('--may-exist', 'add-br', b.name);
    cmd('set', 'bridge', b.name, 'datapath_type=netdev', 'fail_mode=standalone');
    // A learning switch that forgets nothing while the lab runs: re-learning floods the decoy.
    cmd('set', 'bridge', b.name, 'other_config:mac-aging-time=3600');
    for (const p of b.ports) {
      cmd('--may-exist', 'add-port', b.name, p.name);
      cmd('set', 'port', p.name, p.tag === undefined ? 'tag=[]' : `tag=${p.tag}`);
      if (p.patchPeer !== undefined)
        cmd('set', 'interface', p.name, 'type=patch', `options:peer=${p.patchPeer}`);
      if (p.vxlanRemote !== undefined)
        cmd(
          'set',
          'interface',
          p.name,
          'type=vxlan',
          `options:remote_ip=${p.vxlanRemote}`,
          'options:key=flow',
        );
    }
  }
  return args.slice(1);
}

/** The flow-drop fault's rule: drops the lab's UDP flood and probes to an address on br-int. */
export function flowDropRule(addr: string): string {
  return `cookie=${FLOW_DROP_COOKIE},table=${FLOW_DROP_TABLE},priority=${FLOW_DROP_PRIORITY},udp,nw_dst=${addr},actions=drop`;
}
