/**
 * The lab's interface counters (rx/tx packets and drops of every lab interface, from each
 * namespace's /proc/net/dev) and the per-CPU softnet drops: what the tests and the localisation
 * bench compare hopwatch's findings against.
 */
import { readFile } from 'node:fs/promises';
import { run } from './run.ts';
import { LAB_NAMESPACES } from './topology.ts';

export interface Ctr {
  rxPackets: number;
  rxDropped: number;
  txPackets: number;
  txDropped: number;
}

/** /proc/net/dev of every lab namespace, by id. */
export async function labCounters(): Promise<Map<string, Ctr>> {
  const out = new Map<string, Ctr>();
  for (const ns of LAB_NAMESPACES) {
    const r = await run('ip', ['netns', 'exec', ns, 'cat', '/proc/net/dev']);
    for (const line of r.stdout.split('\n').slice(2)) {
      const [name, rest] = line.split(':');
      if (!name || !rest || name.trim() === 'lo') continue;
      const f = rest.trim().split(/\s+/).map(Number);
      out.set(`${ns}/${name.trim()}`, {
        rxPackets: f[1]!,
        rxDropped: f[3]!,
        txPackets: f[9]!,
        txDropped: f[11]!,
      });
    }
  }
  return out;
}

export function counterDelta(a: Map<string, Ctr>, b: Map<string, Ctr>): Map<string, Ctr> {
  const out = new Map<string, Ctr>();
  for (const [id, y] of b) {
    const x = a.get(id) ?? { rxPackets: 0, rxDropped: 0, txPackets: 0, txDropped: 0 };
    out.set(id, {
      rxPackets: y.rxPackets - x.rxPackets,
      rxDropped: y.rxDropped - x.rxDropped,
      txPackets: y.txPackets - x.txPackets,
      txDropped: y.txDropped - x.txDropped,
    });
  }
  return out;
}

/** Column 2 (dropped) of /proc/net/softnet_stat per CPU (column 13). */
export async function softnetDropped(): Promise<Map<number, number>> {
  const text = await readFile('/proc/net/softnet_stat', 'utf8');
  const out = new Map<number, number>();
  text
    .trim()
    .split('\n')
    .forEach((line, k) => {
      const c = line.trim().split(/\s+/);
      out.set(c[12] !== undefined ? Number.parseInt(c[12], 16) : k, Number.parseInt(c[1]!, 16));
    });
  return out;
}
