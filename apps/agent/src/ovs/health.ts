/**
 * Datapath health and OpenFlow drops, read through ovs-vswitchd's own control socket (the
 * JSON-RPC `ovs-appctl -t CTL` speaks, unixctl.ts) and OpenFlow management sockets
 * (`ovs-ofctl dump-flows unix:BR.mgmt`) — only while an
 * OVS is there, every HEALTH_INTERVAL_MS at most, never per sample:
 * - `dpctl/show`: lookups hit/missed/lost (upcalls given up) and datapath flows;
 * - `coverage/show`: OVS's drop counters (`drop_action_*`) and `rev_flow_table`, which moves
 *   whenever a flow table changes;
 * - per bridge, `dump-flows`: only when a flow table changed, a drop counter moved, or
 *   FLOWS_REFRESH_MS passed (a Neutron br-int has thousands of flows; reading them costs).
 * Results are deltas since the previous reading, held until the next sample takes them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OvsDatapath, OvsDropFlow } from '@hopwatch/shared';
import { isSafeIfname, type Runner } from '../discovery/probe.ts';
import type { LogFn } from '../util/log.ts';
import {
  type DatapathTotals,
  FLOW_TABLE_COVERAGE,
  type FlowLine,
  isDropCoverage,
  parseCoverageShow,
  parseDpctlShow,
  parseDropFlows,
} from './parse.ts';
import { unixctl } from './unixctl.ts';

/** How often datapath and coverage are read: the judgement's window is ~5 s. */
export const HEALTH_INTERVAL_MS = 5_000;
/** Drop flows are read again at least this often even when nothing hinted at a change. */
export const FLOWS_REFRESH_MS = 30_000;
/** A daemon that does not answer its control socket in this time is not waited for. */
const APPCTL_TIMEOUT_MS = 2000;

/** ovs-vswitchd's control socket beside the database socket: `DIR/ovs-vswitchd.PID.ctl`, PID from its pid file. */
export function vswitchdControl(runDir: string): string | null {
  try {
    const pid = readFileSync(join(runDir, 'ovs-vswitchd.pid'), 'utf8').trim();
    if (!/^\d+$/.test(pid)) return null;
    const ctl = join(runDir, `ovs-vswitchd.${pid}.ctl`);
    return existsSync(ctl) ? ctl : null;
  } catch {
    return null;
  }
}

export const runDirOf = (socketPath: string) => dirname(socketPath);

export interface HealthReading {
  datapaths?: OvsDatapath[];
  coverage?: Record<string, number>;
  dropFlows?: OvsDropFlow[];
}

const delta = (now: number, before: number | undefined) =>
  before === undefined ? 0 : now >= before ? now - before : now; // a restart counts from zero

export class OvsHealth {
  private prevDp = new Map<string, DatapathTotals>();
  private prevCoverage: Map<string, number> | null = null;
  /** Per bridge: flow key → n_packets at the last reading, and when that was. */
  private prevFlows = new Map<string, { at: number; packets: Map<string, number> }>();
  private lastFlowsAt = -Infinity;
  private lastPollAt = -Infinity;
  private pending: HealthReading = {};
  private polling: Promise<void> | null = null;

  constructor(
    private readonly runDir: string,
    private readonly run: Runner,
    private readonly log: LogFn,
  ) {}

  /**
   * Polls when one is due (never two at once) and resolves when that poll ends: a few ms of
   * ovs-appctl when ovs-vswitchd is well, but up to two appctl timeouts plus a dump-flows per bridge
   * when it is wedged. Start-up waits for the whole poll (the baseline); a sample waits at most
   * HEALTH_WAIT_MS (source.ts), so its numbers usually land in this window, not one interval late
   * — a 5-second `diagnose` would otherwise never see them — and a slow poll's land in the next.
   */
  async tick(now: number, bridges: readonly string[]): Promise<void> {
    if (this.polling || now - this.lastPollAt < HEALTH_INTERVAL_MS) return;
    this.lastPollAt = now;
    this.polling = this.poll(now, bridges)
      .catch((e: Error) => this.log('warn', `Open vSwitch health: ${e.message}`))
      .finally(() => {
        this.polling = null;
      });
    await this.polling;
  }

  /** What was read since the last call (and forget it). */
  take(): HealthReading {
    const r = this.pending;
    this.pending = {};
    return r;
  }

  /** `ovs-appctl CMD`, asked over the control socket directly (unixctl.ts: no process). */
  private async appctl(ctl: string, cmd: string): Promise<string | null> {
    try {
      return await unixctl(ctl, cmd, APPCTL_TIMEOUT_MS);
    } catch (e) {
      this.log('warn', `Open vSwitch ${cmd}: ${(e as Error).message}`);
      return null;
    }
  }

  private async poll(now: number, bridges: readonly string[]): Promise<void> {
    const ctl = vswitchdControl(this.runDir);
    if (ctl === null) return; // ovsdb without ovs-vswitchd (or not yet): nothing to ask
    const dp = await this.appctl(ctl, 'dpctl/show');
    if (dp !== null) this.readDatapaths(parseDpctlShow(dp));
    const cov = await this.appctl(ctl, 'coverage/show');
    let hint = false;
    if (cov !== null) hint = this.readCoverage(parseCoverageShow(cov));
    if (hint || now - this.lastFlowsAt >= FLOWS_REFRESH_MS) {
      this.lastFlowsAt = now;
      await this.readFlows(bridges);
    }
  }

  private readDatapaths(dps: DatapathTotals[]): void {
    const out: OvsDatapath[] = [];
    for (const d of dps) {
      const p = this.prevDp.get(d.name);
      out.push({
        name: d.name,
        hit: delta(d.hit, p?.hit),
        missed: delta(d.missed, p?.missed),
        lost: delta(d.lost, p?.lost),
        flows: d.flows,
      });
    }
    this.prevDp = new Map(dps.map((d) => [d.name, d]));
    this.pending.datapaths = out;
  }

  /** Keeps the drop counters' deltas; true when the flows are worth reading again. */
  private readCoverage(totals: Map<string, number>): boolean {
    const prev = this.prevCoverage;
    this.prevCoverage = totals;
    if (prev === null) return true;
    const coverage: Record<string, number> = { ...this.pending.coverage };
    let dropped = false;
    for (const [name, v] of totals) {
      if (!isDropCoverage(name)) continue;
      const d = delta(v, prev.get(name) ?? 0);
      if (d > 0) {
        coverage[name] = (coverage[name] ?? 0) + d;
        dropped = true;
      }
    }
    if (Object.keys(coverage).length > 0) this.pending.coverage = coverage;
    return dropped || totals.get(FLOW_TABLE_COVERAGE) !== prev.get(FLOW_TABLE_COVERAGE);
  }

  private async readFlows(bridges: readonly string[]): Promise<void> {
    const moved: OvsDropFlow[] = [...(this.pending.dropFlows ?? [])];
    for (const bridge of bridges) {
      // The name comes from OVSDB: one that is no interface name (`../x`) never becomes a path.
      if (!isSafeIfname(bridge)) continue;
      const mgmt = join(this.runDir, `${bridge}.mgmt`);
      if (!existsSync(mgmt)) continue;
      const r = await this.run('ovs-ofctl', ['--names', 'dump-flows', `unix:${mgmt}`], null);
      if (r.code !== 0) {
        this.log('warn', `ovs-ofctl dump-flows ${bridge}: ${r.stderr.trim() || `exit ${r.code}`}`);
        continue;
      }
      const now = Date.now();
      const prev = this.prevFlows.get(bridge);
      const packets = new Map<string, number>();
      for (const f of parseDropFlows(r.stdout)) {
        const key = flowKey(f);
        packets.set(key, f.nPackets);
        const d = flowDelta(f, prev?.packets.get(key), prev ? (now - prev.at) / 1000 : null);
        if (d > 0)
          moved.push({
            bridge,
            table: f.table,
            priority: f.priority,
            match: f.match,
            cookie: f.cookie,
            packets: d,
          });
      }
      this.prevFlows.set(bridge, { at: now, packets });
    }
    for (const b of this.prevFlows.keys()) if (!bridges.includes(b)) this.prevFlows.delete(b);
    if (moved.length > 0) this.pending.dropFlows = moved;
  }
}

const flowKey = (f: FlowLine) => `${f.table}|${f.priority}|${f.cookie}|${f.match}`;

/**
 * A flow seen before: the growth of n_packets (a reset counts from zero). A flow not seen before:
 * all of its packets when it was added since the previous reading (its duration says so), else
 * none — those were counted before we looked (the bridge's first reading is a baseline).
 */
export function flowDelta(f: FlowLine, before: number | undefined, sincePrevS: number | null): number {
  if (before !== undefined) return f.nPackets >= before ? f.nPackets - before : f.nPackets;
  return sincePrevS !== null && f.durationS <= sincePrevS ? f.nPackets : 0;
}
