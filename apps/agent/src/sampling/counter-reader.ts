/**
 * CounterReader: every namespace's counters at one instant, as CounterTotals (diff.ts) keyed by
 * interface id — what deltas are taken between. Decides what to read each sample (net/dev always,
 * snmp/netstat on their slots) and keeps what makes the next read cheap.
 */
import type { CounterTotals } from '../diff.ts';
import type { NsEntry } from '../discovery/namespaces.ts';
import { nsLabel } from '../discovery/probe.ts';
import { netDevMaxBytes, netDir, readNsDev, readNsMib, readSoftnet } from './ns-files.ts';
import type { Counter } from '../util/counter.ts';
import type { LogFn } from '../util/log.ts';
import { OpenFiles } from '../util/procfs.ts';

/**
 * SNMP counters cost more to read than interface counters: the kernel formats ~400 of them per
 * namespace (measured for 101 namespaces: /proc/PID/net/dev 3.1 ms, snmp 2.4 ms, netstat 6.7 ms).
 * So: `snmp` (Ip, Udp, Tcp) is read every sample for a namespace whose interfaces moved (its
 * stack only counts packets that crossed them) and every SNMP_EVERY samples otherwise;
 * `netstat` (IpExt.InNoRoutes, TcpExt.Listen*, ...) every NETSTAT_EVERY samples. Namespaces are
 * spread over the slots so no sample reads them all. A delta read late is not lost: it arrives
 * whole in the sample that reads it (at most NETSTAT_EVERY - 1 samples late).
 */
const SNMP_EVERY = 5;
/** netstat is the costlier file and its counters (TCP listen queues, InNoRoutes) the slower story. */
const NETSTAT_EVERY = 10;

/**
 * Per namespace: interface name → its id and the ifindex discovery saw, or null for an interface
 * discovery saw and left out (a name it cannot represent): its row is skipped, not news.
 */
export type IdIndex = Map<string, NsIds>;
export interface NsIds {
  byName: Map<string, { id: string; ifindex: number } | null>;
  /** How many of byName are not null. */
  tracked: number;
}

interface Mibs {
  snmp: Map<string, Counter>;
  netstat: Map<string, Counter>;
  merged: Map<string, Counter>;
}

/**
 * The per-sample read of every namespace's counters into CounterTotals keyed by interface
 * id. Keeps what makes the next read cheap: open descriptors, the previous rows (reused when
 * unchanged) and the last SNMP values.
 */
export class CounterReader {
  private readonly files = new OpenFiles();
  private readonly lastRows = new Map<string, ReadonlyMap<string, Counter[]>>();
  private readonly mibs = new Map<string, Mibs>();
  private tick = 0;

  constructor(
    private readonly procRoot: string,
    private readonly log: LogFn,
    /** Read cap of one namespace's net/dev (its interface budget): more is refused, not buffered. */
    private readonly netDevCap: number = netDevMaxBytes(4096),
  ) {}

  /**
   * Read every namespace that has ids. `mismatched` gets the namespaces whose interface names
   * differ from the ids (appeared, vanished, renamed, moved); `unreadable` those that failed.
   */
  read(
    namespaces: Iterable<NsEntry>,
    ids: IdIndex,
    prev: CounterTotals | null,
  ): { snap: CounterTotals; mismatched: string[]; unreadable: string[] } {
    const tick = this.tick++;
    const snap: CounterTotals = {
      ifaces: new Map(),
      softnet: readSoftnet(this.files, this.procRoot),
      qdiscs: prev?.qdiscs ?? new Map(),
      snmp: new Map(),
    };
    const mismatched: string[] = [];
    const unreadable: string[] = [];
    for (const ns of namespaces) {
      const known = ids.get(ns.name);
      if (!known) continue;
      const rows = readNsDev(this.files, this.procRoot, ns, this.lastRows.get(ns.name), this.netDevCap);
      if ('error' in rows) {
        this.log('warn', `skipping ${nsLabel(ns)} this sample: ${rows.error}`);
        unreadable.push(ns.name);
        continue;
      }
      this.lastRows.set(ns.name, rows);
      let changed = false;
      let matched = 0;
      let active = false;
      for (const [name, row] of rows) {
        const k = known.byName.get(name);
        if (k === undefined) {
          changed = true;
          continue;
        }
        if (k === null) continue;
        matched++;
        // parseNetDev hands back the previous array for an unchanged row: identity says idle.
        const before = prev?.ifaces.get(k.id);
        const same = before !== undefined && before.row === row && before.ifindex === k.ifindex;
        snap.ifaces.set(k.id, same ? before : { ifindex: k.ifindex, row });
        active ||= !same;
      }
      if (matched !== known.tracked) changed = true;
      if (changed) mismatched.push(ns.name);
      const slot = tick + ns.inode;
      snap.snmp.set(ns.name, this.readMibs(ns, active, slot % SNMP_EVERY === 0, slot % NETSTAT_EVERY === 0));
    }
    return { snap, mismatched, unreadable };
  }

  /** The namespace's SNMP counters, re-read as the rules above say, else the last values. */
  private readMibs(
    ns: NsEntry,
    active: boolean,
    snmpSlot: boolean,
    netstatSlot: boolean,
  ): Map<string, Counter> {
    const last = this.mibs.get(ns.name);
    const readSnmp = !last || active || snmpSlot;
    const readNetstat = !last || netstatSlot;
    if (last && !readSnmp && !readNetstat) return last.merged;
    const snmp = readSnmp ? readNsMib(this.files, this.procRoot, ns, 'snmp') : last!.snmp;
    const netstat = readNetstat ? readNsMib(this.files, this.procRoot, ns, 'netstat') : last!.netstat;
    const merged = new Map([...snmp, ...netstat]);
    this.mibs.set(ns.name, { snmp, netstat, merged });
    return merged;
  }

  /** Host-wide files (sysctls) through the same kept descriptors. */
  get hostFiles(): OpenFiles {
    return this.files;
  }

  /**
   * Forget a namespace. Kept descriptors on its /proc/PID/net files would keep it alive, like a
   * holder, so they are closed now.
   */
  forget(ns: NsEntry): void {
    const dir = netDir(this.procRoot, ns);
    if (dir !== null && ns.kind !== 'host') this.files.closeUnder(`${dir}/`);
    this.mibs.delete(ns.name);
    this.lastRows.delete(ns.name);
  }

  close(): void {
    this.files.closeAll();
  }
}
