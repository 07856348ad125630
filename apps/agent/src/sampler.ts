import { parseNetDev } from './parse/netdev.ts';
import { parseSnmp } from './parse/snmp.ts';
import { parseSoftnet, type SoftnetRow } from './parse/softnet.ts';
import type { NsEntry } from './discovery/namespaces.ts';
import type { Counter } from './util/counter.ts';
import { readText, readTextOrNull } from './util/procfs.ts';

export interface NsCounters {
  rows: Map<string, Counter[]>;
  snmp: Map<string, Counter>;
}

/**
 * The per-sample reads of one namespace: /proc/PID/net/dev, snmp and netstat of a process living
 * in it (the agent itself for the host). No process is spawned per sample: design.md measured
 * spawning `ip -s -j link` per namespace at ~100x the cost of these reads.
 */
export function readNsCounters(procRoot: string, ns: NsEntry): NsCounters | { error: string } {
  const dir =
    ns.kind === 'host' ? `${procRoot}/self/net` : ns.pid === null ? null : `${procRoot}/${ns.pid}/net`;
  if (dir === null) return { error: 'no process lives in it' };
  let dev: string;
  try {
    dev = readText(`${dir}/dev`);
  } catch (e) {
    return { error: `cannot read ${dir}/dev: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  const snmp = parseSnmp(readTextOrNull(`${dir}/snmp`) ?? '');
  for (const [k, v] of parseSnmp(readTextOrNull(`${dir}/netstat`) ?? '')) snmp.set(k, v);
  return { rows: parseNetDev(dev), snmp };
}

/** Global, identical in every namespace: read once per sample. */
export function readSoftnet(procRoot: string): SoftnetRow[] {
  return parseSoftnet(readTextOrNull(`${procRoot}/net/softnet_stat`) ?? '');
}

/**
 * The knobs the backlog and budget findings quote. They live in the host namespace's /proc/sys
 * (a child namespace has no netdev_max_backlog). flow_limit_cpu_bitmap is a hex CPU mask,
 * reported as its number.
 */
export const SYSCTLS = [
  'net.core.netdev_max_backlog',
  'net.core.netdev_budget',
  'net.core.netdev_budget_usecs',
  'net.core.dev_weight',
  'net.core.flow_limit_cpu_bitmap',
] as const;

export function readSysctls(procRoot: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of SYSCTLS) {
    const text = readTextOrNull(`${procRoot}/sys/${name.replaceAll('.', '/')}`);
    if (text === null) continue;
    const value = name.endsWith('_bitmap')
      ? Number.parseInt(text.replace(/[,\s]/g, '') || '0', 16)
      : Number(text.trim());
    if (Number.isFinite(value)) out[name] = value;
  }
  return out;
}
