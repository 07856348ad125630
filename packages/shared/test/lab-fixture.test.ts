import { describe, expect, it } from 'vitest';
import { LAB_IFACES, labIfaceId } from '../../../apps/lab/src/topology.ts';
import { LAB_PATH, LAB_VM_PATH, labTopology } from './fixtures/lab.ts';

/**
 * One source of truth for the lab in tests: the fixture is the real agent's capture of the lab
 * that apps/lab builds. If the lab changes and the capture is not refreshed, this says so.
 */
describe('the lab fixture', () => {
  it('LAB1: every interface apps/lab builds, with its peer, bridge and address, and nothing else', () => {
    const t = labTopology();
    const lab = t.ifaces.filter((i) => i.netns.startsWith('hwlab-') && i.kind !== 'loopback');
    const norm = (xs: { id: string; peer: string | null; master: string | null; addr: string | null }[]) =>
      [...xs].sort((a, b) => a.id.localeCompare(b.id));
    expect(
      norm(lab.map((i) => ({ id: i.id, peer: i.peer, master: i.master, addr: i.addresses[0] ?? null }))),
    ).toEqual(
      norm(
        LAB_IFACES.map((i) => ({
          id: labIfaceId(i),
          peer: i.peer ?? null,
          master: i.master ? `${i.netns}/${i.master}` : null,
          addr: i.addr ?? null,
        })),
      ),
    );
    for (const i of lab) expect(i.kind).toBe(LAB_IFACES.find((x) => labIfaceId(x) === i.id)?.kind);
  });

  it('LAB2: only the routers forward; the contract paths are the fixture paths', () => {
    expect(
      labTopology()
        .namespaces.filter((n) => n.forwarding)
        .map((n) => n.name)
        .sort(),
    ).toEqual(['hwlab-qrouter-a1', 'hwlab-qrouter-b2']);
    expect(LAB_PATH).toHaveLength(8);
    expect(LAB_VM_PATH.slice(0, 8)).toEqual(LAB_PATH);
  });
});
