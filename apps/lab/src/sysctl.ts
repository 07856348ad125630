/**
 * Global sysctls (net.core.* exists only in the host's initial namespace). Every change goes
 * through `setGlobalSysctl`, which records the original in the state file BEFORE writing.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { readState, STATE_PATH, writeState } from './state.ts';

/** Where sysctls live; tests point it at a fake tree. */
export const PROC_SYS = '/proc/sys';

export function sysctlPath(name: string, root = PROC_SYS): string {
  if (!/^[a-z0-9_]+(\.[a-z0-9_-]+)+$/.test(name)) throw new Error(`not a sysctl name: ${name}`);
  return `${root}/${name.replaceAll('.', '/')}`;
}

export async function readSysctl(name: string, root = PROC_SYS): Promise<string> {
  return (await readFile(sysctlPath(name, root), 'utf8')).trim();
}

export async function setGlobalSysctl(
  name: string,
  value: string,
  statePath = STATE_PATH,
  root = PROC_SYS,
): Promise<void> {
  const state = await readState(statePath);
  if (!(name in state.sysctls)) {
    // Only the first change records the original: a second fault must not save the lab's own
    // tiny value as "what was there before".
    state.sysctls[name] = await readSysctl(name, root);
    await writeState(state, statePath);
  }
  await writeFile(sysctlPath(name, root), `${value}\n`);
}

/** Puts back every sysctl the state file remembers; returns what was restored. */
export async function restoreSysctls(
  statePath = STATE_PATH,
  root = PROC_SYS,
): Promise<Record<string, string>> {
  const state = await readState(statePath);
  const restored: Record<string, string> = {};
  for (const [name, original] of Object.entries(state.sysctls)) {
    await writeFile(sysctlPath(name, root), `${original}\n`);
    restored[name] = original;
    delete state.sysctls[name];
    // Saved after each one: if the next write fails, this one is not restored twice, and the
    // rest are still remembered.
    await writeState(state, statePath);
  }
  return restored;
}
