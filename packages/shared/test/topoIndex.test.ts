import { describe, expect, it } from 'vitest';
import { findPath, type Iface, type Topology } from '../src/index.ts';
import { topoIndex } from '../src/judge/topoIndex.ts';
import { iface, LAB_PATH, labTopology } from './fixtures/lab.ts';

/**
 * A big network node the shape of apps/web's bench host: uplink on br-ex, br-ex patched to
 * br-int, then `routers` forwarding namespaces each hanging off br-int by one veth pair.
 */
function bigHost(routers: number): Topology {
  const pair = (a: Iface, b: Iface): Iface[] => [
    { ...a, peer: b.id },
    { ...b, peer: a.id },
  ];
  const ifaces: Iface[] = [
    iface({ netns: '', name: 'eno1', kind: 'physical', master: 'br-ex' }),
    iface({ netns: '', name: 'br-ex', kind: 'bridge' }),
    iface({ netns: '', name: 'br-int', kind: 'bridge' }),
    ...pair(
      iface({ netns: '', name: 'phy-br-ex', kind: 'veth', master: 'br-ex' }),
      iface({ netns: '', name: 'int-br-ex', kind: 'veth', master: 'br-int' }),
    ),
  ];
  const namespaces = [{ name: '', inode: 1, forwarding: false }];
  for (let n = 0; n < routers; n++) {
    const ns = `qrouter-${n}`;
    namespaces.push({ name: ns, inode: 100 + n, forwarding: true });
    ifaces.push(
      ...pair(
        iface({ netns: '', name: `tap${n}`, kind: 'veth', master: 'br-int' }),
        iface({ netns: ns, name: 'qg', kind: 'veth', addresses: [`10.${n >> 8}.${n & 255}.1/24`] }),
      ),
    );
  }
  return { host: 'big', kernel: '6.18.0', cpus: 2, namespaces, ifaces, routes: [] };
}

describe('topology index (path finding reads it, built once per topology)', () => {
  it('IDX1: peerAt is the position of the interface byId gives for the peer, -1 for none or a missing one', () => {
    const t = bigHost(3);
    t.ifaces.push(iface({ netns: '', name: 'lonely', kind: 'veth', peer: 'gone' }));
    const { byId, peerAt } = topoIndex(t);
    t.ifaces.forEach((i, k) => {
      const p = peerAt[k]!;
      expect(p < 0 ? null : t.ifaces[p]).toBe(i.peer === null ? null : (byId.get(i.peer) ?? null));
    });
    expect(peerAt.filter((p) => p >= 0)).toHaveLength(8);
  });

  it('IDX1: the index is built once per topology and again when a list is replaced or grows', () => {
    const t = labTopology();
    const a = topoIndex(t);
    expect(topoIndex(t)).toBe(a);
    expect(topoIndex(labTopology())).not.toBe(a);
    t.ifaces.push(iface({ netns: 'hwlab-node', name: 'tap-new', kind: 'veth', master: 'hwlab-node/br-int' }));
    const grown = topoIndex(t);
    expect(grown).not.toBe(a);
    expect(grown.ports.get('hwlab-node/br-int')?.map((i) => i.id)).toContain('hwlab-node/tap-new');
    t.routes = [];
    expect(topoIndex(t)).not.toBe(grown);
  });

  it('IDX1: bridge ports and stacked devices in topology order, each device linked once', () => {
    const t = labTopology();
    const { ports, linked } = topoIndex(t);
    const scan = (id: string) => t.ifaces.filter((i) => i.master === id).map((i) => i.id);
    for (const bridge of ['hwlab-node/br-int', 'hwlab-node/br-ex'])
      expect(ports.get(bridge)?.map((i) => i.id)).toEqual(scan(bridge));
    for (const [id, list] of linked)
      expect(list.map((i) => i.id)).toEqual(
        t.ifaces.filter((i) => i.master === id || i.lower === id).map((i) => i.id),
      );
  });

  it('IDX1: same paths as before on the lab, and through a 1500-port bridge on a big host', () => {
    const r = findPath(labTopology(), 'hwlab-up/wan0', 'hwlab-qrouter-a1/qg-a1');
    expect(r.ok && r.path).toEqual(LAB_PATH);
    const big = bigHost(1500);
    expect(findPath(big, 'eno1', 'qrouter-1234/qg')).toEqual({
      ok: true,
      path: ['eno1', 'br-ex', 'phy-br-ex', 'int-br-ex', 'br-int', 'tap1234', 'qrouter-1234/qg'],
    });
    // Asking again (another destination) reuses the index of the same topology.
    const index = topoIndex(big);
    expect(findPath(big, 'eno1', 'qrouter-7/qg').ok).toBe(true);
    expect(topoIndex(big)).toBe(index);
  });
});
