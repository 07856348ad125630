import type { Runner } from './probe.ts';

/** ovs-vsctl talks to ovsdb-server; a stuck database must not stall discovery. */
const OVS_TIMEOUT_S = 2;

/**
 * Open vSwitch ports and their bridges. The kernel only knows that a port's master is the
 * datapath (`ovs-system`); which OVS bridge (br-int, br-ex, ...) it belongs to lives in ovsdb,
 * so ask ovs-vsctl — only when the host has an openvswitch device at all. Returns port name →
 * bridge name; empty when OVS is absent or does not answer.
 *
 * Not exercised against a real Open vSwitch here (the test kernel has no openvswitch module):
 * the output format (`list-br`, `list-ifaces BR`: one name per line) is ovs-vsctl's documented one.
 */
export async function readOvsBridges(run: Runner): Promise<Map<string, string>> {
  const ports = new Map<string, string>();
  const timeout = `--timeout=${OVS_TIMEOUT_S}`;
  const brs = await run('ovs-vsctl', [timeout, 'list-br'], null);
  if (brs.code !== 0) return ports;
  for (const bridge of parseNameList(brs.stdout)) {
    const ifaces = await run('ovs-vsctl', [timeout, 'list-ifaces', bridge], null);
    if (ifaces.code !== 0) continue;
    for (const port of parseNameList(ifaces.stdout)) ports.set(port, bridge);
  }
  return ports;
}

export function parseNameList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}
