import { type ChildProcess, spawn } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { nsInodeFromLink, readTextOrNull } from '../util/procfs.ts';

/** `ip netns exec` needs a few ms to enter the namespace and remount /sys before it execs. */
const HOLDER_READY_TIMEOUT_MS = 2000;
const HOLDER_POLL_MS = 5;

interface Holder {
  child: ChildProcess;
  pid: number;
  inode: number;
}

/**
 * One process living in each named namespace nobody else lives in, so that its
 * /proc/PID/net/{dev,snmp,netstat} can be read without spawning anything per sample, and
 * /proc/PID/root/sys is a sysfs mounted in that namespace (`ip netns exec` remounts /sys; sysfs
 * shows the network devices of the namespace that mounted it, not of the reader).
 *
 * The holder is `cat` reading a pipe from us rather than `sleep infinity`: if the agent dies
 * however it dies (even SIGKILL), the pipe closes, cat reads EOF and exits, so no orphan keeps a
 * deleted namespace (and its veths) alive. A holder does keep a namespace alive after
 * `ip netns del`, so the collector kills it as soon as the name leaves /run/netns (fs.watch).
 */
export class Holders {
  private readonly holders = new Map<string, Holder>();
  private closed = false;

  constructor(
    private readonly procRoot: string,
    private readonly onExit: (name: string) => void,
  ) {}

  pid(name: string): number | null {
    return this.holders.get(name)?.pid ?? null;
  }

  /** Start a holder in `name` (inode `inode`); resolves to its pid, or null with the reason. */
  async ensure(name: string, inode: number): Promise<{ pid: number } | { error: string }> {
    const existing = this.holders.get(name);
    if (existing && existing.inode === inode && existing.child.exitCode === null)
      return { pid: existing.pid };
    if (existing) this.kill(name);
    if (this.closed) return { error: 'collector closed' };
    const child = spawn('ip', ['netns', 'exec', name, 'cat'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 1000) stderr += b.toString();
    });
    child.stdin?.on('error', () => {});
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', () => resolve(false));
    });
    if (!spawned || child.pid === undefined) return { error: `cannot run ip netns exec ${name}` };
    const pid = child.pid;
    const holder: Holder = { child, pid, inode };
    this.holders.set(name, holder);
    child.once('exit', () => {
      if (this.holders.get(name) === holder) {
        this.holders.delete(name);
        if (!this.closed) this.onExit(name);
      }
    });
    const deadline = Date.now() + HOLDER_READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (this.ready(pid, inode)) return { pid };
      await sleep(HOLDER_POLL_MS);
    }
    this.kill(name);
    return { error: `could not enter namespace ${name}: ${stderr.trim() || 'no holder process'}` };
  }

  /** Ready once ip has exec'd cat, i.e. it has entered the namespace and remounted /sys. */
  private ready(pid: number, inode: number): boolean {
    const comm = readTextOrNull(`${this.procRoot}/${pid}/comm`);
    if (comm?.trim() !== 'cat') return false;
    try {
      return nsInodeFromLink(readlinkSync(`${this.procRoot}/${pid}/ns/net`)) === inode;
    } catch {
      return false;
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
