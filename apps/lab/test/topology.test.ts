import { describe, expect, it } from 'vitest';
import {
  LAB_IFACE_IDS,
  LAB_IFACES,
  LAB_NAMESPACES,
  LAB_PATH,
  LAB_PREFIX,
  LAB_VM_PATH,
  labIface,
  targetFor,
} from '../src/topology.ts';

describe('lab topology (lab-contract.md)', () => {
  it('has the eight-interface inbound path of the contract, uplink to router namespace', () => {
    expect(LAB_PATH).toEqual([
      'hwlab-up/wan0',
      'hwlab-node/eno1',
      'hwlab-node/br-ex',
      'hwlab-node/phy-br-ex',
      'hwlab-node/int-br-ex',
      'hwlab-node/br-int',
      'hwlab-node/tap-qg-a1',
      'hwlab-qrouter-a1/qg-a1',
    ]);
    expect(LAB_VM_PATH.slice(8)).toEqual([
      'hwlab-qrouter-a1/qr-a1',
      'hwlab-node/tap-qr-a1',
      'hwlab-node/br-tenant',
      'hwlab-node/tap-vm1',
      'hwlab-vm1/eth0',
    ]);
  });

  it('every path id is a lab interface, every namespace carries the prefix', () => {
    for (const id of LAB_VM_PATH) expect(LAB_IFACE_IDS).toContain(id);
    for (const ns of LAB_NAMESPACES) expect(ns.startsWith(LAB_PREFIX)).toBe(true);
    for (const i of LAB_IFACES) expect(LAB_NAMESPACES).toContain(i.netns);
  });

  it('veth peers are symmetric and ids and MACs are unique', () => {
    for (const i of LAB_IFACES.filter((x) => x.peer)) {
      expect(labIface(i.peer!)?.peer).toBe(`${i.netns}/${i.name}`);
    }
    expect(new Set(LAB_IFACE_IDS).size).toBe(LAB_IFACES.length);
    expect(new Set(LAB_IFACES.map((i) => i.mac)).size).toBe(LAB_IFACES.length);
  });

  it('bridge ports name a bridge of their own namespace', () => {
    for (const i of LAB_IFACES.filter((x) => x.master)) {
      expect(labIface(`${i.netns}/${i.master}`)?.kind).toBe('bridge');
    }
  });

  it('the decoy router hangs off br-int next to the real one', () => {
    expect(labIface('hwlab-node/tap-qg-b2')?.master).toBe('br-int');
    expect(labIface('hwlab-qrouter-b2/qg-b2')?.addr).toBe('203.0.113.20/24');
  });

  it('traffic for a hop goes to the router on the 8-hop path, to the VM behind it', () => {
    expect(targetFor('hwlab-qrouter-a1/qg-a1')).toBe('203.0.113.10');
    expect(targetFor('hwlab-node/eno1')).toBe('203.0.113.10');
    expect(targetFor('hwlab-vm1/eth0')).toBe('10.10.0.5');
  });
});
