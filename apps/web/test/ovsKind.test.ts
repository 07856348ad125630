import type { Iface } from '@hopwatch/shared';
import { describe, expect, it } from 'vitest';
import { displayKind } from '../src/ui/kind.ts';

const base: Iface = {
  id: 'hwlab-node/br-int',
  netns: 'hwlab-node',
  name: 'br-int',
  ifindex: 9,
  kind: 'ovs',
  driverKind: 'tun',
  mtu: 1500,
  operstate: 'unknown',
  adminUp: true,
  carrier: true,
  mac: null,
  addresses: [],
  qdisc: null,
  txqueuelen: null,
  rpsCpus: null,
  master: null,
  portState: null,
  peer: null,
  lower: null,
  vxlan: null,
};
const ovs = {
  bridge: 'br-int',
  type: 'internal',
  tag: null,
  trunks: [],
  ofport: 65534,
  adminState: 'up',
  linkState: 'up',
  patchPeer: null,
  remoteIp: null,
  error: null,
  datapathType: 'netdev',
};

describe('Open vSwitch on the map (issue 11)', () => {
  it('MAP-OVS1: an OVS bridge is drawn like a Linux bridge; a patch port with its own (veth-like) icon; other OVS ports as what they are', () => {
    expect(displayKind({ ...base, ovs }, new Set())).toBe('bridge');
    expect(
      displayKind(
        { ...base, kind: 'ovs-patch', ovs: { ...ovs, type: 'patch', datapathType: null } },
        new Set(),
      ),
    ).toBe('ovs-patch');
    expect(
      displayKind({ ...base, kind: 'veth', ovs: { ...ovs, type: '', datapathType: null } }, new Set()),
    ).toBe('veth');
    expect(displayKind(base, new Set())).toBe('ovs');
  });
});
