/** `lab up` and `lab down`: build the contract topology idempotently, remove all of it. */
import { baselineSteps, createSteps, destroySteps } from './plan.ts';
import { LabError, labNamespaces, run, runOk, runSteps } from './run.ts';
import { readState, removeState, STATE_PATH, writeState } from './state.ts';
import { restoreSysctls } from './sysctl.ts';
import { LAB_IFACES, LAB_NAMESPACES, NS_UP, ROUTER_GW_ADDR, VM_ADDR } from './topology.ts';

export interface LabUpOptions {
  /** Ping the router and the VM from the uplink after building (default true). */
  verify?: boolean;
}

export interface LabUpResult {
  /** false when a complete lab was already there and was only reset to its baseline. */
  created: boolean;
  namespaces: string[];
}

async function linkNames(netns: string): Promise<Set<string>> {
  const r = await run('ip', ['-n', netns, '-j', 'link', 'show']);
  if (r.code !== 0) return new Set();
  return new Set((JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname));
}

/** Every namespace and every interface of the contract is there. */
export async function labComplete(): Promise<boolean> {
  const present = new Set(await labNamespaces());
  if (!LAB_NAMESPACES.every((ns) => present.has(ns))) return false;
  for (const ns of LAB_NAMESPACES) {
    const names = await linkNames(ns);
    if (!LAB_IFACES.filter((i) => i.netns === ns).every((i) => names.has(i.name))) return false;
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
  let created = false;
  if (!(await labComplete())) {
    await labDown();
    try {
      await runSteps(createSteps());
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
  return { created, namespaces: await labNamespaces() };
}

/** No fault: the baseline configuration, the global sysctls as found, no fault in the state file. */
export async function clearToBaseline(statePath = STATE_PATH): Promise<Record<string, string>> {
  await runSteps(baselineSteps());
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
  const namespaces = await labNamespaces();
  const killed: number[] = [];
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
  await removeState(statePath);
  return { removed: namespaces, restored, killed };
}
