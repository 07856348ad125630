import { describe, expect, it } from 'vitest';
import { checkHop, faultPlan } from '../src/faults.ts';
import {
  FLOW_DROP_COOKIE,
  LAB_OVS_BRIDGES,
  LAB_OVS_PATCH_IDS,
  MISSING_PEER,
  ovsBaselineArgs,
} from '../src/ovs/topology.ts';
import { baselineSteps, createSteps, type Step } from '../src/plan.ts';

const lines = (steps: Step[]) =>
  steps.flatMap((s) => (s.tool === 'sh' ? [s.script] : 'lines' in s ? s.lines : [s.args.join(' ')]));

describe('lab up --ovs: command building (LAB-OVS)', () => {
  it('LAB-OVS1: makes no Linux bridge and no kernel device for what OVS replaces', () => {
    const made = lines(createSteps('ovs')).filter((l) => l.startsWith('link add'));
    expect(made.some((l) => l.includes('type bridge'))).toBe(false);
    for (const name of ['br-ex', 'br-int', 'br-tenant', 'phy-br-ex', 'int-br-ex'])
      expect(made.some((l) => l.includes(` name ${name} `))).toBe(false);
    expect(made.some((l) => l.includes(' name eno1 '))).toBe(true);
    const base = lines(baselineSteps('ovs'));
    expect(base.some((l) => l.includes(' master '))).toBe(false);
    expect(base.some((l) => l.startsWith('fdb '))).toBe(false);
  });

  it('LAB-OVS2: one idempotent ovs-vsctl transaction: patch peers both ways, VLAN tags, netdev datapath', () => {
    const args = ovsBaselineArgs();
    const text = args.join(' ');
    expect(args[0]).toBe('--may-exist');
    expect(text).toContain('set interface phy-br-ex type=patch options:peer=int-br-ex');
    expect(text).toContain('set interface int-br-ex type=patch options:peer=phy-br-ex');
    expect(text).toContain('set port tap-vm1 tag=2');
    expect(text).toContain('set port tap-qg-a1 tag=1');
    expect(text).toContain('set port eno1 tag=[]');
    for (const b of LAB_OVS_BRIDGES) expect(text).toContain(`set bridge ${b.name} datapath_type=netdev`);
    expect(LAB_OVS_PATCH_IDS).toContain('hwlab-node/phy-br-ex');
  });

  it('LAB-OVS3: the baseline removes the flow-drop rule by its cookie and finishes UDP checksums of senders into OVS', () => {
    const steps = baselineSteps('ovs');
    expect(steps).toContainEqual(
      expect.objectContaining({
        tool: 'ovs-ofctl',
        cmd: 'del-flows',
        args: [`cookie=${FLOW_DROP_COOKIE}/-1`],
      }),
    );
    const text = lines(steps).join('\n');
    expect(text).toContain('ethtool -K wan0 tx off');
    expect(text).toContain('ethtool -K qg-a1 tx off');
    expect(text).not.toContain('ethtool -K tap-qg-a1');
    expect(lines(baselineSteps('linux')).join('\n')).not.toContain('ethtool');
  });

  it('LAB-OVS4: flow-drop is an OpenFlow drop on br-int; patch-peer points phy-br-ex at a missing port', () => {
    expect(checkHop('flow-drop', undefined)).toEqual({ ok: true, hop: 'hwlab-node/br-int' });
    expect(checkHop('flow-drop', 'hwlab-node/br-ex').ok).toBe(false);
    const drop = faultPlan('flow-drop', 'hwlab-node/br-int', 2);
    expect(drop.steps).toEqual([
      expect.objectContaining({
        tool: 'ovs-ofctl',
        cmd: 'add-flow',
        args: [expect.stringMatching(/udp,nw_dst=203\.0\.113\.10,actions=drop$/)],
      }),
    ]);
    const peer = faultPlan('patch-peer', 'hwlab-node/phy-br-ex', 2);
    expect(peer.steps).toEqual([
      expect.objectContaining({
        tool: 'ovs-vsctl',
        args: ['set', 'interface', 'phy-br-ex', `options:peer=${MISSING_PEER}`],
      }),
    ]);
  });
});
