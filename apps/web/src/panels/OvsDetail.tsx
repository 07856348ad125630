import type { Finding, Iface } from '@hopwatch/shared';
import { FLOW_EVIDENCE } from '@hopwatch/shared/judge/rules/r13-openflow';
import type { ReactNode } from 'react';

/**
 * What Open vSwitch says of a hop (issue 11), for the hop detail: the bridge it is on (or, on a
 * bridge's own device, the datapath type), VLAN tag or trunks, OpenFlow port, patch peer, tunnel
 * remote, OVS's error; and on a bridge the "flows" section: its OpenFlow drop flows that
 * counted packets in the window (R13's evidence, one line per flow with its packets).
 */
export function OvsRows({ iface, row }: { iface: Iface; row: (k: string, v: ReactNode) => ReactNode }) {
  const o = iface.ovs;
  if (!o) return null;
  const vlan =
    o.tag !== null ? `access ${o.tag}` : o.trunks.length > 0 ? `trunk ${o.trunks.join(',')}` : 'trunk (all)';
  return (
    <>
      {o.datapathType !== null
        ? row('OVS bridge', `${o.bridge} · datapath ${o.datapathType}`)
        : row('OVS port', `${o.bridge}${o.type ? ` · ${o.type}` : ''} · ${vlan}`)}
      {row('ofport', o.ofport ?? 'none')}
      {o.patchPeer !== null && row('patch peer', o.patchPeer)}
      {o.remoteIp !== null && row('remote', o.remoteIp)}
      {o.error !== null && row('OVS error', <span className="st-warn">{o.error}</span>)}
    </>
  );
}

export function OvsFlows({ iface, findings }: { iface: Iface; findings: readonly Finding[] }) {
  if (iface.ovs?.datapathType == null) return null;
  const lines = findings
    .filter((f) => f.rule === 'R13' && f.hop === iface.id)
    .flatMap((f) => f.evidence.filter((e) => e.includes(FLOW_EVIDENCE)));
  return (
    <div data-testid="hop-flows">
      <h3 className="uppercase font-bold muted" style={{ fontSize: 10.5 }}>
        flows
      </h3>
      {lines.length === 0 ? (
        <p className="muted" style={{ fontSize: 11.5 }}>
          no OpenFlow drop flow counted packets in this window
        </p>
      ) : (
        <ul className="mono" style={{ fontSize: 11.5 }}>
          {lines.map((l) => (
            <li key={l} className="st-loss">
              {l}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
