/**
 * Everything the collector gets from Open vSwitch, behind one object: the OVSDB monitor (topology
 * and the counters of patch and tunnel ports), datapath health and drop flows (health.ts). Only
 * made when an OVSDB is configured or the standard socket exists; the kernel view never waits
 * for it beyond a short first look at start.
 */
import { performance } from 'node:perf_hooks';
import type { OvsSample, Topology } from '@hopwatch/shared';
import type { Runner } from '../discovery/probe.ts';
import type { LogFn } from '../util/log.ts';
import { OvsdbClient, parseOvsdbTarget } from './client.ts';
import { rowDelta, statsRow } from './counters.ts';
import { OvsHealth, runDirOf } from './health.ts';
import type { OvsIface } from './rows.ts';
import { applyOvs, type SyntheticPorts, viewShape } from './topology.ts';

/** At start, how long the first topology waits for OVSDB's first answer (a live socket answers in ms). */
const FIRST_LOOK_MS = 2000;
/**
 * How long a sample waits for a health reading it started. A healthy ovs-vswitchd answers in a few
 * ms; a wedged one could hold a poll for seconds (two appctl timeouts, then dump-flows per bridge),
 * and the sample goes on without it: the late reading lands in the next sample through take().
 */
export const HEALTH_WAIT_MS = 250;

/** Waits for `p`, but no longer than `ms`. */
function waitAtMost(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export class OvsSource {
  private synthetic: SyntheticPorts = new Map();
  private prevRows = new Map<string, number[]>();
  private shape = '';
  private seenVersion = -1;

  private constructor(
    private readonly client: OvsdbClient,
    private readonly health: OvsHealth | null,
  ) {}

  static create(ovsdb: string | null, run: Runner, log: LogFn): OvsSource | null {
    if (ovsdb === null) return null;
    const target = parseOvsdbTarget(ovsdb);
    if (typeof target === 'string') {
      log('warn', target);
      return null;
    }
    // appctl and OpenFlow sockets live beside a local database's socket; over TCP only OVSDB is read.
    const health = target.kind === 'unix' ? new OvsHealth(runDirOf(target.path), run, log) : null;
    return new OvsSource(new OvsdbClient(target, log), health);
  }

  async start(): Promise<void> {
    const first = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, FIRST_LOOK_MS);
      timer.unref();
      const off = this.client.onChange(() => {
        clearTimeout(timer);
        off();
        resolve();
      });
    });
    this.client.start();
    await first;
    // The first health reading is the baseline the first sample's deltas are taken from.
    const view = this.client.current();
    if (view) {
      await this.health?.tick(
        performance.now(),
        view.bridges.map((b) => b.name),
      );
      this.health?.take();
    }
  }

  /** The OVSDB data changed in a way the topology shows (not just counters). */
  shapeChanged(): boolean {
    if (this.client.dataVersion === this.seenVersion) return false;
    this.seenVersion = this.client.dataVersion;
    return viewShape(this.client.current()) !== this.shape;
  }

  apply(kernel: Topology): Topology {
    const view = this.client.current();
    this.shape = viewShape(view);
    this.seenVersion = this.client.dataVersion;
    const r = applyOvs(kernel, view);
    this.synthetic = r.synthetic;
    return r.topology;
  }

  /** Adds the patch and tunnel ports' rows to `ifaces`; returns OVS's part of the sample. */
  async sample(now: number, ifaces: Record<string, number[]>): Promise<OvsSample> {
    const rows = new Map<string, number[]>();
    // The counters of the view as it is now (statistics updates do not rebuild the topology).
    const current = new Map<string, OvsIface>();
    for (const b of this.client.current()?.bridges ?? [])
      for (const p of b.ports) for (const i of p.ifaces) current.set(i.name, i);
    for (const [id, built] of this.synthetic) {
      const i = current.get(built.name);
      if (!i) continue;
      const row = statsRow(i.statistics);
      rows.set(id, row);
      const d = rowDelta(this.prevRows.get(id), row);
      if (d) ifaces[id] = d;
    }
    this.prevRows = rows;
    const { status, detail } = this.client.state;
    const online = status === 'online';
    const view = this.client.current();
    // Awaited, briefly: the sample that starts a reading carries it (health.ts tick) unless
    // ovs-vswitchd is slow to answer, then the next one does (HEALTH_WAIT_MS).
    if (online && view && this.health)
      await waitAtMost(
        this.health.tick(
          now,
          view.bridges.map((b) => b.name),
        ),
        HEALTH_WAIT_MS,
      );
    return { state: online ? 'online' : 'offline', detail, ...(this.health?.take() ?? {}) };
  }

  close(): void {
    this.client.close();
  }
}
