import { type ChildProcess, spawn } from 'node:child_process';
import { readlinkSync, statfsSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { nsInodeFromLink, readTextOrNull } from '../util/procfs.ts';

/** Entering the namespace and mounting sysfs takes a few ms before the holder execs cat. */
const HOLDER_READY_TIMEOUT_MS = 2000;
const HOLDER_POLL_MS = 5;
/** statfs(2) f_type of sysfs: the holder's /sys must be a sysfs, nothing else. */
const SYSFS_MAGIC = 0x62656572;
/**
 * For an unnamed namespace: enter it, take a private mount namespace of our own and mount a
 * fresh sysfs there, then become cat. Fixed text, no name or path is ever interpolated into it.
 */
const UNNAMED_HOLDER_SCRIPT = 'mount -t sysfs sysfs /sys && exec cat';

export interface Holder {
  child: ChildProcess;
  pid: number;
  inode: number;
  /** st_dev of the holder's own sysfs (`/proc/PID/root/sys`): files read there must be on it. */
  sysDev: number;
}

/** How to get into a namespace: its `ip netns` name, or a process found living in it. */
export type HolderTarget = { name: string } | { viaPid: number };

/**
 * One process the agent owns living in each watched namespace (named or unnamed), so that
 * - its /proc/PID/net/{dev,snmp,netstat} can be read without spawning anything per sample;
 * - /proc/PID/root/sys is a sysfs *the agent* mounted in that namespace (sysfs shows the network
 *   devices of the namespace that mounted it), in a mount namespace nobody else can change. The
 *   namespace's own processes are never used for that: an unprivileged user owns their mount
 *   tree (`unshare -Urm`) and could put a symlink to /etc/shadow or a FIFO where rps_cpus was;
 * - the pid is our child: it cannot be recycled into somebody else's process while we hold it.
 *
 * Named namespaces: `ip netns exec NAME cat` (ip unshares the mount namespace and remounts /sys;
 * the name comes from /run/netns, which only root writes). Unnamed namespaces: `nsenter
 * --net=/proc/PID/ns/net unshare --mount --propagation private sh -c 'mount -t sysfs …; exec cat'`.
 * Either way the holder is ready once it is `cat`, in the namespace of the expected inode (a
 * recycled PID would put it elsewhere: refused), with a sysfs at its /sys.
 *
 * The holder is `cat` reading a pipe from us rather than `sleep infinity`: if the agent dies
 * however it dies (even SIGKILL), the pipe closes, cat reads EOF and exits, so no orphan keeps a
 * deleted namespace (and its veths) alive. A holder does keep its namespace alive, so the
 * collector kills it as soon as the name leaves /run/netns (fs.watch), or, for an unnamed
 * namespace, as soon as no other process lives there (the process scan ignores holders).
 */
export class Holders {
  private readonly holders = new Map<string, Holder>();
  private readonly pids = new Set<number>();
  private closed = false;

  constructor(
    private readonly procRoot: string,
    private readonly onExit: (name: string) => void,
  ) {}

  get(name: string): Holder | null {
    return this.holders.get(name) ?? null;
  }

  pid(name: string): number | null {
    return this.holders.get(name)?.pid ?? null;
  }

  /** Is this pid one of our holders (the process scan must not count it as a tenant)? */
  isHolder(pid: number): boolean {
    return this.pids.has(pid);
  }

  get size(): number {
    return this.holders.size;
  }

  /** Start a holder for namespace `name` (inode `inode`); resolves to it, or null with the reason. */
  async ensure(name: string, inode: number, target: HolderTarget): Promise<Holder | { error: string }> {
    const existing = this.holders.get(name);
    if (existing && existing.inode === inode && existing.child.exitCode === null) return existing;
    if (existing) this.kill(name);
    if (this.closed) return { error: 'collector closed' };
    const { cmd, args } = holderCommand(target);
    const child = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 1000) stderr += b.toString();
    });
    child.stdin?.on('error', () => {});
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
    });
    if (!spawned || child.pid === undefined) return { error: `cannot start a holder process (${cmd})` };
    const pid = child.pid;
    this.pids.add(pid);
    const pending: Holder = { child, pid, inode, sysDev: -1 };
    this.holders.set(name, pending);
    child.once('exit', () => {
      this.pids.delete(pid);
      if (this.holders.get(name) === pending) {
        this.holders.delete(name);
        if (!this.closed) this.onExit(name);
      }
    });
    const deadline = Date.now() + HOLDER_READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      const sysDev = this.ready(pid, inode);
      if (sysDev !== null) {
        pending.sysDev = sysDev;
        return pending;
      }
      await sleep(HOLDER_POLL_MS);
    }
    this.kill(name);
    const why = stderr.trim().split('\n')[0] || 'no holder process, or it is in another namespace';
    return { error: `could not enter namespace ${name}: ${why}` };
  }

  /**
   * Ready once the holder has exec'd cat, i.e. it has entered the namespace and mounted sysfs:
   * returns that sysfs's device, or null while not (yet) so.
   */
  private ready(pid: number, inode: number): number | null {
    const comm = readTextOrNull(`${this.procRoot}/${pid}/comm`);
    if (comm?.trim() !== 'cat') return null;
    try {
      if (nsInodeFromLink(readlinkSync(`${this.procRoot}/${pid}/ns/net`)) !== inode) return null;
      const sys = `${this.procRoot}/${pid}/root/sys`;
      if (statfsSync(sys).type !== SYSFS_MAGIC) return null;
      return statSync(sys).dev;
    } catch {
      return null;
    }
  }

  kill(name: string): void {
    const h = this.holders.get(name);
    if (!h) return;
    this.holders.delete(name);
    h.child.stdin?.destroy();
    h.child.kill('SIGKILL');
  }

  names(): string[] {
    return [...this.holders.keys()];
  }

  closeAll(): void {
    this.closed = true;
    for (const name of this.names()) this.kill(name);
  }
}

/** The holder's argv: no shell ever sees a name; the pid path is digits only. */
export function holderCommand(target: HolderTarget): { cmd: string; args: string[] } {
  if ('name' in target) return { cmd: 'ip', args: ['netns', 'exec', target.name, 'cat'] };
  if (!Number.isSafeInteger(target.viaPid) || target.viaPid <= 0) throw new Error('bad pid');
  return {
    cmd: 'nsenter',
    args: [
      `--net=/proc/${target.viaPid}/ns/net`,
      'unshare',
      '--mount',
      '--propagation',
      'private',
      '/bin/sh',
      '-c',
      UNNAMED_HOLDER_SCRIPT,
    ],
  };
}
