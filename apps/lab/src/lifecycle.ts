/** `lab up` and `lab down`: build the contract topology idempotently, remove all of it. */
import { rm } from 'node:fs/promises';
import { startOvs, stopOvs, ovsRunning } from './ovs/daemon.ts';
import { LAB_OVS_DIR, labOvsSocket } from './ovs/topology.ts';
import { baselineSteps, createSteps, destroySteps, type LabMode, labIfaces } from './plan.ts';
import { LabError, labNamespaces, run, runOk, runSteps } from './run.ts';
import { readState, removeState, STATE_PATH, writeState } from './state.ts';
import { restoreSysctls } from './sysctl.ts';
import { LAB_NAMESPACES, NS_NODE, NS_UP, ROUTER_GW_ADDR, VM_ADDR } from './topology.ts';

export interface LabUpOptions {
  /** Ping the router and the VM from the uplink after building (default true). */
  verify?: boolean;
  /** Build it with Open vSwitch bridges and patch ports (`lab up --ovs`) instead of Linux bridges. */
  ovs?: boolean;
}

export interface LabUpResult {
  /** false when a complete lab was already there and was only reset to its baseline. */
  created: boolean;
  namespaces: string[];
  mode: LabMode;
  /** The OVSDB socket of the lab's private Open vSwitch (for `hopwatch agent --ovsdb`), OVS mode only. */
  ovsdb?: string;
}

async function linkNames(netns: string): Promise<Set<string>> {
  const r = await run('ip', ['-n', netns, '-j', 'link', 'show']);
  if (r.code !== 0) return new Set();
  return new Set((JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname));
}

/** The mode the lab runs in now: OVS while the lab's private Open vSwitch runs. */
export async function labMode(): Promise<LabMode> {
  return (await ovsRunning(LAB_OVS_DIR)) ? 'ovs' : 'linux';
}

/**
 * Every namespace and every interface of the contract is there, in the mode asked (default: the
 * one it runs in). The OVS lab has no br-tenant; the Linux lab runs no OVS.
 */
export async function labComplete(mode?: LabMode): Promise<boolean> {
  const running = await labMode();
  if (mode !== undefined && mode !== running) return false;
  const present = new Set(await labNamespaces());
  if (!LAB_NAMESPACES.every((ns) => present.has(ns))) return false;
  for (const ns of LAB_NAMESPACES) {
    const names = await linkNames(ns);
    if (
      !labIfaces(running)
        .filter((i) => i.netns === ns)
        .every((i) => names.has(i.name))
    )
      return false;
    if (running === 'ovs' && ns === NS_NODE && names.has('br-tenant')) return false;
  }
  return true;
}

function assertRoot(): void {
  if (process.getuid?.() !== 0) throw new LabError('the lab needs root (network namespaces, sysctls)');
}

/** One ping must come back: proves addresses, routes, neighbours, FDB and forwarding. */
async function verifyReachable(addr: string): Promise<void> {
  const r = await run('ip', ['netns', 'exec', NS_UP, 'ping', '-n', '-q', '-c', '1', '-W', '2', addr]);
  if (r.code !== 0) throw new LabError(`lab up: ${NS_UP} cannot reach ${addr}:\n${r.stdout}${r.stderr}`);
}

/**
 * Builds the lab, or resets an existing one to its fault-free baseline; `up` twice is fine. A
 * partial lab (a crash halfway through `up`) is torn down and rebuilt rather than patched.
 */
export async function labUp(opts: LabUpOptions = {}): Promise<LabUpResult> {
  assertRoot();
  const mode: LabMode = opts.ovs ? 'ovs' : 'linux';
  let created = false;
  if (!(await labComplete(mode))) {
    await labDown();
    try {
      await runSteps(createSteps(mode));
      if (mode === 'ovs') await startOvs({ dir: LAB_OVS_DIR, netns: NS_NODE });
    } catch (e) {
      await labDown();
      throw e;
    }
    created = true;
  }
  await clearToBaseline();
  if (opts.verify ?? true) {
    await verifyReachable(ROUTER_GW_ADDR);
    await verifyReachable(VM_ADDR);
  }
  const result: LabUpResult = { created, namespaces: await labNamespaces(), mode };
  if (mode === 'ovs') result.ovsdb = `unix:${labOvsSocket()}`;
  return result;
}

/** No fault: the baseline configuration, the global sysctls as found, no fault in the state file. */
export async function clearToBaseline(statePath = STATE_PATH): Promise<Record<string, string>> {
  await runSteps(baselineSteps(await labMode()));
  const restored = await restoreSysctls(statePath);
  const state = await readState(statePath);
  if (state.fault !== null) await writeState({ ...state, fault: null }, statePath);
  return restored;
}

export interface LabDownResult {
  removed: string[];
  restored: Record<string, string>;
  killed: number[];
}

/**
 * Removes everything the lab made, found by prefix (so also after a crash), and restores every
 * sysctl it changed. Processes still inside lab namespaces (a traffic run left behind) are ended
 * by pid first: a namespace outlives its name while a process holds it.
 */
export async function labDown(statePath = STATE_PATH): Promise<LabDownResult> {
  assertRoot();
  const restored = await restoreSysctls(statePath);
  // OVS first and by its own pids, gracefully: ovs-vswitchd lives in hwlab-node and would
  // otherwise be SIGKILLed below with everything else found in a lab namespace.
  const killed: number[] = await stopOvs(LAB_OVS_DIR);
  const namespaces = await labNamespaces();
  for (const ns of namespaces) {
    const r = await run('ip', ['netns', 'pids', ns]);
    for (const pid of r.stdout.split(/\s+/).filter(Boolean).map(Number)) {
      if (pid === process.pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        // already gone
      }
    }
  }
  for (const step of destroySteps(namespaces)) {
    // -force: one namespace failing to go must not keep the others.
    if (step.tool === 'ip') await runOk('ip', ['-force', '-b', '-'], `${step.lines.join('\n')}\n`);
  }
  await rm(LAB_OVS_DIR, { recursive: true, force: true });
  await removeState(statePath);
  return { removed: namespaces, restored, killed };
}
