/** `lab fault KIND [--hop ID]`: a fault replaces the previous one; `none` clears them all. */
import { cpus } from 'node:os';
import { checkHop, DEFAULT_FAULT_SETTINGS, OVS_FAULTS, type FaultSettings, faultPlan } from './faults.ts';
import { clearToBaseline, labComplete, labMode } from './lifecycle.ts';
import { OVS_REPLACED } from './ovs/topology.ts';
import { LabError, runSteps } from './run.ts';
import { type ActiveFault, type FaultKind, readState, STATE_PATH, writeState } from './state.ts';
import { setGlobalSysctl } from './sysctl.ts';

export interface LabFaultOptions {
  /** Override the measured defaults (the localisation bench sweeps maxBacklog). */
  settings?: Partial<FaultSettings>;
  statePath?: string;
}

export interface LabFaultResult {
  fault: ActiveFault | null;
  /** Global sysctls set by this fault (name → value). */
  sysctls: Record<string, string>;
}

export async function labFault(
  kind: FaultKind,
  hop?: string,
  opts: LabFaultOptions = {},
): Promise<LabFaultResult> {
  const statePath = opts.statePath ?? STATE_PATH;
  let target: string | null = null;
  if (kind !== 'none') {
    const check = checkHop(kind, hop);
    if (!check.ok) throw new LabError(check.error);
    target = check.hop;
  } else if (hop !== undefined) {
    throw new LabError('`lab fault none` clears every fault; it takes no --hop');
  }
  if (!(await labComplete())) throw new LabError('the lab is not up: run `hopwatch lab up` first');
  const mode = await labMode();
  if (target !== null && mode === 'ovs' && OVS_REPLACED.has(target) && !OVS_FAULTS.has(kind))
    throw new LabError(
      `${target} is an Open vSwitch bridge or patch port in the OVS lab: a ${kind} fault needs a kernel device`,
    );
  if (mode === 'linux' && OVS_FAULTS.has(kind))
    throw new LabError(`a ${kind} fault needs the OVS lab: run \`hopwatch lab up --ovs\` first`);
  // Replace, never stack: back to the fault-free baseline (sysctls restored) before the next one.
  await clearToBaseline(statePath);
  if (kind === 'none' || target === null) return { fault: null, sysctls: {} };
  const plan = faultPlan(kind, target, cpus().length, { ...DEFAULT_FAULT_SETTINGS, ...opts.settings });
  for (const [name, value] of Object.entries(plan.sysctls)) await setGlobalSysctl(name, value, statePath);
  await runSteps(plan.steps);
  const fault: ActiveFault = { kind, hop: target, detail: plan.detail, since: new Date().toISOString() };
  await writeState({ ...(await readState(statePath)), fault }, statePath);
  return { fault, sysctls: plan.sysctls };
}
