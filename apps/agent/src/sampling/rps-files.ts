import { OpenFiles, WHOLE_ON_SHORT_READ } from '../util/procfs.ts';

/**
 * rps_cpus files through descriptors kept open, for the round-robin refresh (refreshRps in
 * collector/discovery.ts): an open of `/proc/HOLDER/root/sys/class/net/NAME/queues/rx-0/rps_cpus`
 * walks the holder's root, a symlink and four sysfs directories, and was most of the refresh's
 * cost (~1.5–3 ms a second at 1100 interfaces); a read at offset 0 of a kept sysfs descriptor
 * shows the current mask.
 *
 * Same rules as every kernel file (SPEC SEC1): opened `O_NOFOLLOW`, a regular file on the sysfs
 * the holder mounted (its device), read up to a cap. A kept descriptor follows its device through
 * a rename, away from its path: discovery forgets a namespace's when a re-probe finds a name on
 * another ifindex (SPEC RPS2). One whose device was deleted fails (ENODEV) and is opened again by
 * path once. Each
 * descriptor pins the holder's sysfs mount and with it the namespace, so a namespace's are
 * closed when it goes (forget), and an interface's when a refresh no longer reads it (renamed,
 * deleted).
 */
export class RpsFiles {
  private readonly files = new OpenFiles();
  /** Per namespace: the paths read by its latest refresh. */
  private readonly byNs = new Map<string, Set<string>>();

  /** A reader for readRps over one namespace; `done()` closes what that refresh did not read. */
  refresh(ns: string): {
    read: (path: string, maxBytes: number, dev: number | undefined) => string | null;
    done: () => void;
  } {
    const before = this.byNs.get(ns) ?? new Set<string>();
    const now = new Set<string>();
    return {
      read: (path, maxBytes, dev) => {
        now.add(path);
        return this.readOne(path, maxBytes, dev);
      },
      done: () => {
        before.forEach((path) => {
          if (!now.has(path)) this.files.close(path);
        });
        this.byNs.set(ns, now);
      },
    };
  }

  private readOne(path: string, maxBytes: number, dev: number | undefined): string | null {
    const kept = this.files.has(path);
    // A sysfs attribute comes whole in one read (SPEC READ1).
    const text = this.files.readOrNull(path, maxBytes, dev, WHOLE_ON_SHORT_READ);
    if (text !== null || !kept) return text;
    // The kept descriptor failed (its device was deleted, maybe replaced under the same name):
    // it was closed, this opens the path again.
    return this.files.readOrNull(path, maxBytes, dev, WHOLE_ON_SHORT_READ);
  }

  forget(ns: string): void {
    for (const path of this.byNs.get(ns) ?? []) this.files.close(path);
    this.byNs.delete(ns);
  }

  closeAll(): void {
    this.files.closeAll();
    this.byNs.clear();
  }

  /** Descriptors kept open (tests). */
  get size(): number {
    return this.files.size;
  }
}

/**
 * rps_cpus is written through sysfs, which sends no netlink event: the masks are re-read
 * round-robin, a slice of the namespaces each sample, all of them over REFRESH_MS (sysfs costs
 * ~15 µs a file: all 1000 interfaces at once was a 40 ms sample every half minute). A namespace
 * whose interfaces have been quiet for QUIET_SAMPLES is passed over until QUIET_REFRESH_MS since
 * its last read: a mask steers packets, and none came there (on the bench's 100 idle namespaces
 * the refresh was 40 of the agent's ~225 file reads a second, strace). SPEC RPS1. The other change detection:
 * collector/changes.ts.
 */
const REFRESH_MS = 30_000;
const QUIET_REFRESH_MS = 120_000;
const QUIET_SAMPLES = 30;
/** Namespaces looked at per namespace that may be read: bounds the passing over. */
const VISITS_PER_READ = 4;

export class RpsSchedule {
  private cursor = 0;
  private readonly readAt = new Map<string, number>();

  constructor(private readonly intervalMs: number) {}

  /**
   * The namespaces among `names` whose masks this sample re-reads: round-robin from where the
   * last sample stopped, at most the share of one interval, quiet ones only when due.
   */
  take(names: readonly string[], now: number, quietFor: (name: string) => number): string[] {
    const out: string[] = [];
    if (names.length === 0) return out;
    const perSample = Math.ceil((names.length * this.intervalMs) / REFRESH_MS);
    const visits = Math.min(perSample * VISITS_PER_READ, names.length);
    for (let v = 0; v < visits && out.length < perSample; v++) {
      const name = names[this.cursor++ % names.length]!;
      const last = this.readAt.get(name);
      if (last !== undefined && now - last < QUIET_REFRESH_MS && quietFor(name) >= QUIET_SAMPLES) continue;
      this.readAt.set(name, now);
      out.push(name);
    }
    return out;
  }

  forget(name: string): void {
    this.readAt.delete(name);
  }
}
