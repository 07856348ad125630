/**
 * The bench's synthetic host (simAgents.ts, hotPathBench.ts): a 1000-interface network node's
 * topology and its sample frames as an agent sends them. Counters are fresh numbers every call
 * (heavy-tailed rates, ±10 % noise, `active` of the interfaces moving) so JSON and compression
 * work on realistic-looking data.
 */
import type { Topology } from '@hopwatch/shared';
import { makeIface } from '../test/helpers/data.ts';

export function synthTopology(host: string, n: number): Topology {
  const ifaces = Array.from({ length: n }, (_, i) => {
    const netns = `qrouter-${(i >> 3).toString(16).padStart(8, '0')}`;
    const name =
      i % 2 === 0 ? `qr-${i.toString(16).padStart(8, '0')}-ab` : `qg-${i.toString(16).padStart(8, '0')}-cd`;
    return makeIface(`${netns}/${name}`, { ifindex: i + 2 });
  });
  const namespaces = [...new Set(ifaces.map((i) => i.netns))].map((name, k) => ({
    name,
    inode: 4026532000 + k,
    forwarding: true,
  }));
  return { host, kernel: '6.18.0-bench', cpus: 64, namespaces, ifaces, routes: [] };
}

/** Per interface: packets per second, 0 for idle ones. */
export function synthRates(n: number, active: number): number[] {
  return Array.from({ length: n }, () =>
    Math.random() < active ? Math.floor(10 ** (1 + Math.random() * 4)) : 0,
  );
}

/** One `sample` frame's text, as the agent writes it. */
export function synthSampleFrame(
  ids: readonly string[],
  rate: readonly number[],
  seq: number,
  t: number,
): string {
  let rows = '';
  for (let i = 0; i < ids.length; i++) {
    const r = rate[i]!;
    if (r === 0) continue;
    const p = Math.round(r * (0.9 + Math.random() * 0.2));
    const q = Math.round(r * (0.9 + Math.random() * 0.2));
    const drop = Math.random() < 0.02 ? Math.floor(Math.random() * 5) : 0;
    const row = [
      p * 900 + Math.floor(Math.random() * 100),
      p,
      0,
      drop,
      0,
      0,
      0,
      0,
      q * 800,
      q,
      0,
      0,
      0,
      0,
      0,
      0,
    ];
    rows += `${rows === '' ? '' : ','}"${ids[i]}":[${row.join(',')}]`;
  }
  const softnet = Array.from(
    { length: 64 },
    (_, cpu) =>
      `{"cpu":${cpu},"processed":${Math.floor(Math.random() * 1e5)},"dropped":0,"timeSqueeze":${Math.random() < 0.1 ? 1 : 0},"receivedRps":0,"flowLimit":0,"backlogLen":0}`,
  ).join(',');
  return (
    `{"type":"sample","seq":${seq},"backfill":false,"sample":{"t":${t},"elapsedMs":1000,"ifaces":{${rows}},` +
    `"softnet":[${softnet}],"qdiscs":{},"snmp":{},"drops":[],"sysctls":{"net.core.netdev_max_backlog":1000},` +
    `"tracing":{"state":"on","detail":null,"lost":0}}}`
  );
}
