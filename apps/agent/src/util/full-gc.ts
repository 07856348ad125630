import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * One full, compacting garbage collection on demand (SPEC MEM1). The agent's start is its peak:
 * a hundred probes' JSON parsed, holders spawned, every namespace read and keyed once. V8 keeps
 * the old-generation pages that peak grew until a full collection finds them empty, and at one
 * sample a second with 1 MB semi-spaces a full collection comes late or not at all: the pages
 * stay resident for the agent's life. Asking for one when the start is behind gives them back.
 *
 * `global.gc` exists only under `--expose-gc`; the flag set at run time exposes it to contexts
 * made afterwards, so a new context hands the function over without a flag in the unit.
 */
let gc: (() => void) | null | undefined;

/** Run a full GC; false when this V8 offers none (then nothing happened). */
export function fullGc(): boolean {
  if (gc === undefined) gc = findGc();
  if (gc === null) return false;
  gc();
  return true;
}

function findGc(): (() => void) | null {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    return null;
  }
}
