/** Words for the terminal: what each lab command did, from its result object (pure). */
import type { LabFaultResult } from './fault-apply.ts';
import type { LabDownResult, LabUpResult } from './lifecycle.ts';
import type { TrafficResult } from './traffic.ts';

const pct = (ratio: number) => `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.001 ? 4 : 3)} %`;

export function formatUp(r: LabUpResult): string {
  const what = `${r.created ? 'lab up: built' : 'lab up: already there, reset to its fault-free baseline'}: ${r.namespaces.join(' ')}`;
  return r.ovsdb === undefined
    ? what
    : `${what}\n  Open vSwitch (br-ex, br-int, br-tun in hwlab-node): hopwatch agent --ovsdb ${r.ovsdb}`;
}

export function formatDown(r: LabDownResult): string {
  const lines = [
    r.removed.length === 0 ? 'lab down: no hwlab- namespaces' : `lab down: removed ${r.removed.join(' ')}`,
  ];
  for (const [name, value] of Object.entries(r.restored)) lines.push(`  restored ${name} = ${value}`);
  if (r.killed.length > 0) lines.push(`  ended leftover lab processes: ${r.killed.join(' ')}`);
  return lines.join('\n');
}

export function formatFault(r: LabFaultResult): string {
  if (!r.fault) return 'lab fault: none (every fault cleared, sysctls restored)';
  return `lab fault: ${r.fault.kind} on ${r.fault.hop}: ${r.fault.detail}`;
}

export function formatTraffic(r: TrafficResult): string {
  const lines: string[] = [];
  if (r.flood) {
    const f = r.flood;
    lines.push(
      `flood  hwlab-up/wan0 → ${r.to}:${r.port}  ${r.rate} pps × ${r.size} B for ${(f.elapsedMs / 1000).toFixed(1)} s`,
      `       sent ${f.sent}, received ${f.received}, lost ${f.lost} (${pct(f.lossRatio)})${f.errors ? `, ${f.errors} sends refused by the kernel` : ''}`,
    );
  }
  if (r.probe) {
    const p = r.probe;
    lines.push(
      `probe  ping -i 0.01 ${p.to}: sent ${p.sent}, received ${p.received}, lost ${p.lost} (${pct(p.lossRatio)})`,
    );
  }
  return lines.join('\n');
}
