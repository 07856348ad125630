import { describe, expect, it } from 'vitest';
import { closestIfaces, findPath, type Topology } from '../src/index.ts';
import { parsePrefix } from '../src/judge/cidr.ts';
import { routeTables } from '../src/judge/routes.ts';
import { LAB_PATH, LAB_VM_PATH, labTopology, withIface } from './fixtures/lab.ts';

const path = (t: Topology, from: string, to: string) => {
  const r = findPath(t, from, to);
  if (!r.ok) throw new Error(r.error);
  return r.path;
};

describe('path finding', () => {
  const lab = labTopology();

  it('PATH1: the eight-hop inbound path from the uplink to the router namespace, bridges included', () => {
    expect(path(lab, 'hwlab-up/wan0', 'hwlab-qrouter-a1/qg-a1')).toEqual(LAB_PATH);
  });

  it('PATH2: continues to the VM through the router by its routes (qg-a1 in, qr-a1 out)', () => {
    expect(path(lab, 'hwlab-up/wan0', 'hwlab-vm1/eth0')).toEqual(LAB_VM_PATH);
    expect(path(lab, 'hwlab-qrouter-a1/qg-a1', 'hwlab-vm1/eth0')).toEqual(LAB_VM_PATH.slice(7));
  });

  it('PATH2: the way back out is the reverse, by the VM’s and the router’s default routes', () => {
    expect(path(lab, 'hwlab-vm1/eth0', 'hwlab-up/wan0')).toEqual([...LAB_VM_PATH].reverse());
  });

  it('PATH3: the decoy router on the same br-int is never visited', () => {
    for (const to of ['hwlab-qrouter-a1/qg-a1', 'hwlab-vm1/eth0', 'hwlab-node/tap-vm1']) {
      const p = path(lab, 'hwlab-up/wan0', to);
      expect(p.filter((id) => id.includes('qrouter-b2') || id.endsWith('tap-qg-b2'))).toEqual([]);
    }
  });

  it('PATH3: the decoy is reached only when it is the destination', () => {
    expect(path(lab, 'hwlab-up/wan0', 'hwlab-qrouter-b2/qr-b2')).toEqual([
      ...LAB_PATH.slice(0, 6),
      'hwlab-node/tap-qg-b2',
      'hwlab-qrouter-b2/qg-b2',
      'hwlab-qrouter-b2/qr-b2',
    ]);
  });

  it('PATH4: an address-less target is reached through the router onto its segment', () => {
    expect(path(lab, 'hwlab-up/wan0', 'hwlab-node/tap-vm1')).toEqual(LAB_VM_PATH.slice(0, 12));
  });

  it('PATH4: a bridge port as the source enters its bridge', () => {
    expect(path(lab, 'hwlab-node/eno1', 'hwlab-qrouter-a1/qg-a1')).toEqual(LAB_PATH.slice(1));
  });

  it('PATH5: no forwarding, no path through the router', () => {
    const t = labTopology();
    t.namespaces = t.namespaces.map((n) => (n.name === 'hwlab-qrouter-a1' ? { ...n, forwarding: false } : n));
    const r = findPath(t, 'hwlab-up/wan0', 'hwlab-vm1/eth0');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('no path');
  });

  it('PATH5: routes decide, not the graph: a more specific route wins over the default', () => {
    const t = labTopology();
    // Send 10.10.0.5/32 out of the gateway port instead: the kernel would, so the path must too.
    t.routes.push({
      netns: 'hwlab-qrouter-a1',
      dst: '10.10.0.5/32',
      dev: 'hwlab-qrouter-a1/qg-a1',
      via: '203.0.113.1',
      src: null,
    });
    const r = findPath(t, 'hwlab-up/wan0', 'hwlab-vm1/eth0');
    expect(r.ok).toBe(false);
  });

  it('PATH5: without explicit routes, connected subnets of the router still route', () => {
    const t = labTopology();
    t.routes = [];
    expect(path(t, 'hwlab-qrouter-a1/qg-a1', 'hwlab-vm1/eth0')).toEqual(LAB_VM_PATH.slice(7));
  });

  it('PATH5: link-local IPv6 addresses never make a route (every port has fe80::/64)', () => {
    const t = withIface('hwlab-qrouter-a1/qg-a1', { addresses: ['203.0.113.10/24', 'fe80::2/64'] });
    t.routes.push({
      netns: 'hwlab-qrouter-a1',
      dst: 'fe80::/64',
      dev: 'hwlab-qrouter-a1/qr-a1',
      via: null,
      src: null,
    });
    const table = routeTables(t).get('hwlab-qrouter-a1')!;
    expect(table.lookup(parsePrefix('fe80::1')!)).toBeNull();
    expect(table.lookup(parsePrefix('10.10.0.5')!)).toBe('hwlab-qrouter-a1/qr-a1');
    expect(table.lookup(parsePrefix('198.51.100.7')!)).toBe('hwlab-qrouter-a1/qg-a1');
  });

  it('PATH5: the VM’s subnet is found from its segment when the VM has only a link-local address', () => {
    const t = withIface('hwlab-vm1/eth0', { addresses: ['fe80::1/64'] });
    expect(path(t, 'hwlab-up/wan0', 'hwlab-vm1/eth0')).toEqual(LAB_VM_PATH);
  });

  it('PATH6: a path to itself is the interface alone', () => {
    expect(path(lab, 'hwlab-node/br-int', 'hwlab-node/br-int')).toEqual(['hwlab-node/br-int']);
  });

  it('PATH7: a bare name that only one namespace has is accepted', () => {
    expect(path(lab, 'wan0', 'qg-a1')).toEqual(LAB_PATH);
  });

  it('PATH7: an ambiguous bare name is an error listing the candidates', () => {
    const t = { ...labTopology(), ifaces: labTopology().ifaces.filter((i) => i.id !== 'lo') };
    const r = findPath(t, 'lo', 'qg-a1');
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) {
      expect(r.error).toContain('ambiguous');
      expect(r.suggestions).toContain('hwlab-qrouter-a1/lo');
    }
  });

  it('PATH8: an unknown id is an error with the closest names', () => {
    const r = findPath(lab, 'hwlab-up/wan0', 'hwlab-qrouter-a1/qg-a2');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toContain('hwlab-qrouter-a1/qg-a2');
      expect(r.suggestions[0]).toBe('hwlab-qrouter-a1/qg-a1');
    }
  });

  it('PATH8: closestIfaces compares bare names too', () => {
    expect(closestIfaces(lab, 'qg-a', 3)[0]).toBe('hwlab-qrouter-a1/qg-a1');
    expect(closestIfaces(lab, 'qg-a', 3)).toHaveLength(3);
    expect(closestIfaces(lab, 'br-intt', 1)).toEqual(['hwlab-node/br-int']);
    expect(closestIfaces(lab, 'x', 0)).toEqual([]);
  });

  it('PATH9: a down hop stays on the path (it is the answer, not an obstacle)', () => {
    const t = withIface('hwlab-node/tap-qg-a1', { adminUp: false, operstate: 'down', carrier: false });
    expect(path(t, 'hwlab-up/wan0', 'hwlab-qrouter-a1/qg-a1')).toEqual(LAB_PATH);
  });
});
