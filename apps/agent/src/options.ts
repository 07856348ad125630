import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { DEFAULT_OVSDB } from './ovs/client.ts';
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
  /** Budgets (SPEC SEC2): namespaces watched, interfaces in all, interfaces in one namespace. */
  maxNamespaces?: number;
  maxIfaces?: number;
  maxNsIfaces?: number;
  /**
   * OVSDB to read Open vSwitch from (`unix:PATH` or `tcp:HOST:PORT`); default the standard
   * socket, used only when it exists; null: never.
   */
  ovsdb?: string | null;
}

export const DEFAULT_INTERVAL_MS = 1000;
/** Below this a sweep of 1000 interfaces would take a noticeable share of a core. */
export const MIN_INTERVAL_MS = 100;

/**
 * Budgets. An unprivileged user can make network namespaces (`unshare -Urn`) and interfaces in
 * them without limit; without a cap they could make the agent spawn a holder and an `ip` per
 * namespace, read megabytes a second and send a topology bigger than the hub takes, blinding
 * the monitoring of the whole host. Big enough for a large network node (a few hundred qrouter
 * and qdhcp namespaces; a compute node's host namespace with a few thousand taps and veths);
 * what is over budget is left out and counted in `topology.truncated`, unnamed namespaces first.
 */
export const DEFAULT_MAX_NAMESPACES = 1000;
export const DEFAULT_MAX_IFACES = 10_000;
export const DEFAULT_MAX_NS_IFACES = 4096;

export interface ResolvedOptions {
  procRoot: string;
  sysRoot: string;
  intervalMs: number;
  netnsGlob: string | null;
  tracing: boolean;
  host: string;
  log: LogFn;
  maxNamespaces: number;
  maxIfaces: number;
  maxNsIfaces: number;
  ovsdb: string | null;
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
    maxNamespaces: budget(opts.maxNamespaces, DEFAULT_MAX_NAMESPACES),
    maxIfaces: budget(opts.maxIfaces, DEFAULT_MAX_IFACES),
    maxNsIfaces: budget(opts.maxNsIfaces, DEFAULT_MAX_NS_IFACES),
    // The standard socket only where it exists: most hosts have no Open vSwitch.
    ovsdb:
      opts.ovsdb === undefined
        ? existsSync(DEFAULT_OVSDB.slice('unix:'.length))
          ? DEFAULT_OVSDB
          : null
        : opts.ovsdb,
  };
}

function budget(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isSafeInteger(value) && value >= 1 ? value : fallback;
}
