import type { Iface } from '../../protocol/model.ts';
import { shellWord } from '../../text.ts';
import { fmtDelta } from '../format.ts';
import type { Rule, RuleContext } from './types.ts';

/** Packets that came into the port's bridge in the window: what a broken port could not carry on. */
function bridgeTraffic(ctx: RuleContext, i: Iface): number {
  let n = 0;
  for (const f of ctx.facts.values())
    if (f.iface.master === i.master && f.iface.id !== i.id) n = Math.max(n, f.c.rxPackets);
  return n;
}

function problem(ctx: RuleContext, i: Iface): string | null {
  const o = i.ovs;
  if (!o) return null;
  if (o.type === 'patch') {
    const peer = o.patchPeer;
    if (peer === null) return `patch port ${i.name} has no peer (options:peer unset)`;
    const other = ctx.topology.ifaces.find(
      (x) => x.netns === i.netns && x.name === peer && x.ovs?.type === 'patch',
    );
    if (!other) return `patch port ${i.name}'s peer "${peer}" does not exist`;
    if (other.ovs?.patchPeer !== i.name)
      return `patch port ${i.name}'s peer "${peer}" is patched to "${other.ovs?.patchPeer ?? '(nothing)'}", not back to it`;
  }
  if (o.ofport === null)
    return `${i.name} has no OpenFlow port in ${o.bridge}${o.error ? ` (${o.error})` : ''}`;
  if (o.adminState === 'down') return `${i.name} is administratively down in ${o.bridge}`;
  return null;
}

/**
 * R25 for Open vSwitch ports (issue 11): a port OVS could not attach (no ofport), one set down,
 * or a patch port whose peer does not exist or does not point back: nothing crosses it. Loss
 * when it is on the path, or when it is a patch port whose bridge had traffic in the window (the
 * frames that would have crossed are lost without any counter), else a warning.
 */
export const r25OvsPort: Rule = {
  id: 'R25',
  name: 'Open vSwitch port not usable',
  confirmed(ctx) {
    for (const i of ctx.topology.ifaces) {
      const why = problem(ctx, i);
      if (why === null) continue;
      const f = ctx.facts.get(i.id);
      const o = i.ovs!;
      const traffic = bridgeTraffic(ctx, i);
      // The bridge's traffic speaks for a patch port only (what would have crossed to the other
      // bridge); a stale VM tap with no ofport on a busy br-int loses none of its neighbours' frames.
      const severity =
        (f?.pathIndex ?? null) !== null || (o.type === 'patch' && traffic > 0) ? 'loss' : 'warn';
      if (severity === 'loss') ctx.ledger.add(i.id, traffic);
      const command =
        o.type === 'patch'
          ? `ovs-vsctl set interface ${shellWord(i.name)} options:peer=PEER`
          : `ovs-vsctl list interface ${shellWord(i.name)}`;
      ctx.findings.add({
        rule: 'R25',
        title: `${i.id}: ${why}`,
        severity,
        hop: i.id,
        reason: null,
        count: traffic,
        evidence: [
          why,
          ...(o.error ? [`OVSDB Interface error: ${o.error}`] : []),
          ...(traffic > 0 ? [`${fmtDelta(traffic)} packets came into ${o.bridge} meanwhile`] : []),
        ],
        fix:
          o.type === 'patch'
            ? `Patch ports come in pairs naming each other: set ${i.name}'s options:peer to its partner on the other bridge (\`${command}\`), and the partner's to ${i.name}.`
            : `See why OVS cannot use it (\`${command}\`: error, ofport, admin_state) and fix the device or the port.`,
        command: o.type === 'patch' ? null : command,
      });
    }
  },
};
