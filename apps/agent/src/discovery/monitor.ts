import { type ChildProcess, spawn } from 'node:child_process';
import { type FSWatcher, watch } from 'node:fs';
import { classifyMonitorLine, type MonitorLine } from '../parse/monitor.ts';
import type { LogFn } from '../util/log.ts';
import { tiedToUs } from '../util/tied.ts';

/** If `ip monitor` dies, restart it after this long, doubling up to the cap. */
const MONITOR_RESTART_MS = 1000;
const MONITOR_RESTART_MAX_MS = 30_000;

/**
 * One long-running `ip monitor label link address route netconf all-nsid`: netlink events of the host and of
 * every namespace that has an nsid in the host, each line prefixed `[nsid N]` (`[nsid current]` for
 * the host) and its object type (`[ADDR]`…).
 * Measured here: an MTU change, an address added, a rename and an rp_filter or forwarding sysctl
 * written inside child namespaces arrive within milliseconds; a namespace without an nsid is invisible to it (the collector gives named
 * namespaces one with `ip netns set NAME auto`, and compares interface names every sample).
 * Only "something changed in namespace N" (or "address A came or went on ifindex I in N") is
 * taken from it, and only from lines that can change what discovery reports (parse/monitor.ts);
 * discovery then asks `ip` afresh.
 */
export class LinkMonitor {
  private child: ChildProcess | null = null;
  private restartMs = MONITOR_RESTART_MS;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private partial = '';

  constructor(
    private readonly onEvent: (event: MonitorLine) => void,
    private readonly log: LogFn,
    /** Events may have been missed (the monitor was restarted): everything is suspect. */
    private readonly onGap: () => void = () => {},
  ) {}

  start(): void {
    if (this.stopped) return;
    const ip = tiedToUs('ip', ['monitor', 'label', 'link', 'address', 'route', 'netconf', 'all-nsid']);
    const child = spawn(ip.cmd, ip.args, { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child = child;
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      const lines = (this.partial + chunk).split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        const event = classifyMonitorLine(line);
        if (event === null) continue;
        this.restartMs = MONITOR_RESTART_MS;
        if (event.kind !== 'ignore') this.onEvent(event);
      }
    });
    child.on('error', () => {});
    child.on('exit', () => {
      if (this.child !== child || this.stopped) return;
      this.child = null;
      this.log(
        'warn',
        `ip monitor exited; restarting it in ${this.restartMs / 1000} s (changes are caught by the periodic checks meanwhile)`,
      );
      this.timer = setTimeout(() => {
        this.start();
        this.onGap();
      }, this.restartMs);
      this.restartMs = Math.min(this.restartMs * 2, MONITOR_RESTART_MAX_MS);
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}

/**
 * inotify on /run/netns: `ip netns add/del` create and unlink a file there. The collector reacts
 * at once because a holder process would otherwise keep a deleted namespace (and its veths)
 * alive until the next sample. Returns a stop function; null when the directory does not exist.
 */
export function watchNetnsDir(dir: string, onChange: () => void): (() => void) | null {
  let watcher: FSWatcher;
  try {
    watcher = watch(dir, { persistent: false }, () => onChange());
  } catch {
    return null;
  }
  watcher.on('error', () => watcher.close());
  return () => watcher.close();
}
