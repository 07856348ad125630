/**
 * Namespace lifecycle: which network namespaces are watched, each with its holder. Lists them
 * (host, /run/netns, processes' /proc/PID/ns/net), admits them within the budgets, starts a
 * holder in each, and lets go of those that vanish — at once for `ip netns del` (inotify on
 * /run/netns), on the next relist otherwise. What to re-probe is collector/discovery.ts's job.
 */
import { Holders } from '../discovery/holders.ts';
import { watchNetnsDir } from '../discovery/monitor.ts';
import { listNamespaces, listNetnsNames, type NsEntry, ProcessNsScanner } from '../discovery/namespaces.ts';
import { nsLabel } from '../discovery/probe.ts';
import { pickNamespaces } from '../budget.ts';
import type { ResolvedOptions } from '../options.ts';
import { netnsMatcher } from '../util/glob.ts';
import type { ChangeTracker } from './changes.ts';
import { mapLimit } from '../util/map-limit.ts';

/** Parallel holder starts: more would only queue on 2 cores. */
const HOLDER_CONCURRENCY = 8;
/**
 * After the first discovery, new unnamed namespaces are taken in at most this many per
 * PROC_SCAN_MS (each costs a holder, ~22 ms of CPU, and an `ip`): a tenant making and destroying
 * namespaces in a loop cannot keep the agent starting holders all day. The rest wait their turn.
 */
const MAX_NEW_UNNAMED_PER_SCAN = 16;

/** What the rest of the collector does when the set of namespaces changes. */
export interface NamespaceHooks {
  /** A namespace is let go (deleted, replaced, its holder gone): forget everything about it. */
  gone(name: string, ns: NsEntry | undefined): void;
  /** The count of namespaces over the budget changed while running: the topology counts them. */
  unwatchedChanged(): void;
}

export class Namespaces {
  /** The watched namespaces by name ('' is the host). */
  readonly watched = new Map<string, NsEntry>();
  /** Namespaces found but not watched (over the namespace budget). */
  unwatched = 0;
  private readonly holders: Holders;
  private readonly match: (name: string) => boolean;
  private readonly scanner: ProcessNsScanner;
  /** Which namespaces processes live in (inode → lowest pid), from the latest /proc scan. */
  private processNs = new Map<number, number>();
  private netnsNames: string[] = [];
  private stopWatch: (() => void) | null = null;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly deps: { netnsDir: string; live: boolean },
    private readonly changes: ChangeTracker,
    /** The collector's phase (SPEC COL6): admission limits and logging apply only while running. */
    private readonly phase: () => 'starting' | 'running' | 'closed',
    private readonly hooks: NamespaceHooks,
  ) {
    this.match = netnsMatcher(opts.netnsGlob);
    this.holders = new Holders(opts.procRoot, () => changes.requestRelist());
    this.scanner = new ProcessNsScanner(opts.procRoot, (pid) => this.holders.isHolder(pid));
  }

  /** inotify on /run/netns (live only): deleted namespaces are let go at once. */
  watchDir(): void {
    this.stopWatch = watchNetnsDir(this.deps.netnsDir, () => this.onDirChange());
  }

  /**
   * Once per sample. inotify reports /run/netns changes at once; without a watcher (no
   * /run/netns yet, or a fixture tree) the listing is compared instead. The /proc scan when due.
   */
  check(now: number): void {
    if (
      this.stopWatch === null &&
      listNetnsNames(this.deps.netnsDir).join('\n') !== this.netnsNames.join('\n')
    ) {
      this.changes.requestRelist();
    }
    if (this.changes.procScanDue(now)) this.scanProcesses();
  }

  private onDirChange(): void {
    if (this.phase() === 'closed') return;
    const names = new Set(listNetnsNames(this.deps.netnsDir));
    // Let go of deleted namespaces at once: our holder would keep them (and their veths) alive.
    for (const ns of this.watched.values()) {
      if (ns.kind === 'named' && !names.has(ns.name)) this.drop(ns.name);
    }
    this.changes.requestRelist();
  }

  /** Which namespaces processes live in; a relist only when that changed (the scan is cheap, the relist not). */
  private scanProcesses(): void {
    const scanned = this.scanner.scan(performance.now());
    if (sameEntries(scanned, this.processNs)) return;
    this.processNs = scanned;
    this.changes.requestRelist();
  }

  /**
   * List the namespaces again: admit new ones (holder started, marked for a probe), let go of
   * those gone or replaced (same name, new inode), count those over the budget.
   */
  async refresh(): Promise<void> {
    const now = performance.now();
    if (this.changes.procScanDue(now)) this.scanProcesses();
    this.netnsNames = listNetnsNames(this.deps.netnsDir);
    if (this.stopWatch === null && this.deps.live && this.netnsNames.length > 0) this.watchDir();
    const listed = listNamespaces(
      { procRoot: this.opts.procRoot, netnsDir: this.deps.netnsDir },
      this.processNs,
      this.match,
    );
    const { kept: found, left } = pickNamespaces(
      listed,
      new Set(this.watched.keys()),
      this.opts.maxNamespaces,
    );
    // Said when it starts and when it ends, not at every count in between (a flood grows for
    // minutes); the count itself is in topology.truncated.
    if (left > 0 && this.unwatched === 0) {
      this.opts.log(
        'warn',
        `${listed.length} network namespaces, over the budget of ${this.opts.maxNamespaces} (--max-netns): ` +
          `${left} not watched, unnamed ones (ns-<inode>) first; the topology counts them (truncated)`,
      );
    } else if (left === 0 && this.unwatched > 0) {
      this.opts.log('info', `back within the budget of ${this.opts.maxNamespaces} network namespaces`);
    }
    if (left !== this.unwatched) {
      this.unwatched = left;
      if (this.phase() === 'running') this.hooks.unwatchedChanged();
    }
    const admitted = this.admit(found, now);
    const foundNames = new Set(found.map((n) => n.name));
    for (const name of [...this.watched.keys()]) if (!foundNames.has(name)) this.drop(name);
    await mapLimit(admitted, HOLDER_CONCURRENCY, async (ns) => {
      const known = this.watched.get(ns.name);
      if (known && known.inode === ns.inode) {
        if (ns.kind === 'unnamed') known.via = ns.via; // its first process may have exited
        if (ns.kind === 'host' || this.holders.pid(ns.name) !== null || !this.deps.live) return;
      }
      if (known) this.drop(ns.name); // same name, new namespace (or holder gone): start over
      if (ns.kind !== 'host' && this.deps.live) {
        const target = ns.kind === 'named' ? { name: ns.name } : { viaPid: ns.via ?? -1 };
        const held = await this.holders.ensure(ns.name, ns.inode, target);
        if ('error' in held) {
          this.opts.log('warn', held.error);
          return;
        }
        ns.pid = held.pid;
        ns.sysDev = held.sysDev;
      } else if (ns.kind === 'unnamed') {
        ns.pid = ns.via; // a fixture tree: its processes are the test's, not a tenant's
      }
      if (this.phase() === 'running' && !known) this.opts.log('info', `${nsLabel(ns)} appeared`);
      this.watched.set(ns.name, ns);
      this.changes.markDirty(ns.name);
    });
  }

  /** `found` without the new unnamed namespaces beyond this scan's admission limit. */
  private admit(found: NsEntry[], now: number): NsEntry[] {
    this.changes.admitLater(null);
    if (this.phase() !== 'running') return found;
    let fresh = 0;
    const out = found.filter(
      (ns) => ns.kind !== 'unnamed' || this.watched.has(ns.name) || ++fresh <= MAX_NEW_UNNAMED_PER_SCAN,
    );
    if (fresh > MAX_NEW_UNNAMED_PER_SCAN) this.changes.admitLater(now);
    return out;
  }

  /** Let go of a namespace: its holder killed, every part told to forget it. */
  drop(name: string): void {
    const ns = this.watched.get(name);
    if (ns && this.phase() === 'running') this.opts.log('info', `${nsLabel({ name })} is gone`);
    this.watched.delete(name);
    this.changes.forget(name);
    this.holders.kill(name);
    this.hooks.gone(name, ns);
  }

  close(): void {
    this.stopWatch?.();
    this.holders.closeAll();
  }
}

/** Whether two maps hold the same entries (no array made: this runs every scan). */
function sameEntries<K, V>(a: ReadonlyMap<K, V>, b: ReadonlyMap<K, V>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
