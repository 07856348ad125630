import { hostname } from 'node:os';
import type { LogFn } from './util/log.ts';
import { onceEvery, stderrLog } from './util/log.ts';

export interface AgentOptions {
  procRoot?: string;
  sysRoot?: string;
  intervalMs?: number;
  netnsGlob?: string | null;
  tracing?: boolean;
  host?: string;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

export const DEFAULT_INTERVAL_MS = 1000;
/** Below this a sweep of 1000 interfaces would take a noticeable share of a core. */
export const MIN_INTERVAL_MS = 100;

export interface ResolvedOptions {
  procRoot: string;
  sysRoot: string;
  intervalMs: number;
  netnsGlob: string | null;
  tracing: boolean;
  host: string;
  log: LogFn;
}

export function resolveOptions(opts: AgentOptions = {}): ResolvedOptions {
  const intervalMs = Math.max(MIN_INTERVAL_MS, Math.round(opts.intervalMs ?? DEFAULT_INTERVAL_MS));
  return {
    procRoot: opts.procRoot ?? '/proc',
    sysRoot: opts.sysRoot ?? '/sys',
    intervalMs,
    netnsGlob: opts.netnsGlob ?? null,
    tracing: opts.tracing ?? true,
    host: opts.host ?? hostname(),
    log: onceEvery(opts.log ?? stderrLog),
  };
}
