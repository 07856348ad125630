/**
 * The lab's memory across processes and crashes: which global sysctls it changed (with the value
 * found before the FIRST change) and which fault is active. Written before every global change,
 * so `lab down` after a crash, a kill -9 or a failed test still knows what to put back.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export const FAULT_KINDS = [
  'backlog',
  'mtu',
  'qdisc',
  'down',
  'firewall',
  'conntrack',
  'rpfilter',
  'noroute',
  'neigh',
  'flow-drop',
  'patch-peer',
  'none',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ActiveFault {
  kind: Exclude<FaultKind, 'none'>;
  hop: string;
  /** What was done, in words (shown by `lab status`). */
  detail: string;
  /** ISO time the fault was injected. */
  since: string;
}

export interface LabState {
  version: 1;
  /** Global sysctl name → the value it had before the lab first changed it. */
  sysctls: Record<string, string>;
  fault: ActiveFault | null;
}

/** /run is a tmpfs: the file goes with a reboot, exactly like the namespaces it describes. */
export const STATE_PATH = process.env.HOPWATCH_LAB_STATE ?? '/run/hopwatch-lab/state.json';

export const emptyState = (): LabState => ({ version: 1, sysctls: {}, fault: null });

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

/** Parses a state file; a file this code cannot trust is an error, never silently "no changes". */
export function parseState(text: string): { ok: true; state: LabState } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  if (!isRecord(raw) || raw.version !== 1) return { ok: false, error: 'not a version 1 lab state' };
  const sysctls: Record<string, string> = {};
  if (!isRecord(raw.sysctls)) return { ok: false, error: 'sysctls must be an object' };
  for (const [k, v] of Object.entries(raw.sysctls)) {
    if (typeof v !== 'string') return { ok: false, error: `sysctl ${k}: original value must be a string` };
    sysctls[k] = v;
  }
  let fault: ActiveFault | null = null;
  if (raw.fault !== null && raw.fault !== undefined) {
    const f = raw.fault;
    const kinds: readonly string[] = FAULT_KINDS.filter((k) => k !== 'none');
    if (
      !isRecord(f) ||
      typeof f.kind !== 'string' ||
      !kinds.includes(f.kind) ||
      typeof f.hop !== 'string' ||
      typeof f.detail !== 'string' ||
      typeof f.since !== 'string'
    ) {
      return { ok: false, error: 'fault must be { kind, hop, detail, since }' };
    }
    fault = { kind: f.kind as ActiveFault['kind'], hop: f.hop, detail: f.detail, since: f.since };
  }
  return { ok: true, state: { version: 1, sysctls, fault } };
}

export function serializeState(state: LabState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

export async function readState(path = STATE_PATH): Promise<LabState> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw e;
  }
  const r = parseState(text);
  if (!r.ok) throw new Error(`${path}: ${r.error} (fix or delete it after checking the sysctls by hand)`);
  return r.state;
}

/** Write-then-rename: a crash mid-write leaves the old file, never half a file. */
export async function writeState(state: LabState, path = STATE_PATH): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, serializeState(state));
  await rename(tmp, path);
}

export async function removeState(path = STATE_PATH): Promise<void> {
  await rm(path, { force: true });
}
