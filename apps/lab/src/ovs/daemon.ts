/**
 * A private Open vSwitch: `ovsdb-server` + `ovs-vswitchd` with every file (database, sockets,
 * pid files, logs) in one directory of our own, so the lab and the tests never touch an OVS the
 * host runs (/var/run/openvswitch stays alone). Started detached, stopped by the pids in its own
 * pid files, and only when /proc says those pids are still the OVS daemons (a pid can be reused).
 *
 * ovs-vswitchd runs inside a network namespace when asked: the userspace (netdev) datapath opens
 * its ports as AF_PACKET sockets and makes each bridge's internal port a tap device in the
 * namespace it runs in, so the lab's OVS lives entirely in hwlab-node.
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runOk } from '../run.ts';

export const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
/** How long a daemon gets to exit on SIGTERM before SIGKILL (ovs-vswitchd tears its bridges down first). */
const STOP_GRACE_MS = 3000;
/** ovs-vsctl waits for ovs-vswitchd to apply a change; a busy 2-core machine needs seconds. */
const VSCTL_TIMEOUT_S = 20;

export interface OvsPaths {
  dir: string;
  db: string;
  /** The OVSDB JSON-RPC socket (what the agent's --ovsdb names). */
  sock: string;
  ovsdbPid: string;
  vswitchdPid: string;
}

export function ovsPaths(dir: string): OvsPaths {
  return {
    dir,
    db: join(dir, 'conf.db'),
    sock: join(dir, 'db.sock'),
    ovsdbPid: join(dir, 'ovsdb-server.pid'),
    vswitchdPid: join(dir, 'ovs-vswitchd.pid'),
  };
}

/**
 * OVS's own tools find the run directory (control sockets `NAME.PID.ctl`, bridges' `BR.mgmt`)
 * through these variables: pointing all of them at the private directory keeps every default
 * path inside it.
 */
export function ovsEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir };
}

/** A command with the private OVS's run directory in its environment (see ovsEnv). */
function execOk(cmd: string, args: readonly string[], dir: string): Promise<string> {
  return runOk(cmd, args, undefined, ovsEnv(dir));
}

/** A bridge's OpenFlow management socket in the private run directory. */
export const ovsMgmtPath = (dir: string, bridge: string): string => join(dir, `${bridge}.mgmt`);

/** `ovs-vsctl` against the private database; throws with OVS's own words when it fails. */
export function vsctl(dir: string, args: readonly string[]): Promise<string> {
  return execOk(
    'ovs-vsctl',
    [`--db=unix:${ovsPaths(dir).sock}`, `--timeout=${VSCTL_TIMEOUT_S}`, ...args],
    dir,
  );
}

/** `ovs-ofctl CMD unix:DIR/BRIDGE.mgmt ...`: OpenFlow to a bridge of the private OVS. */
export function ofctl(
  dir: string,
  cmd: string,
  bridge: string,
  args: readonly string[] = [],
): Promise<string> {
  return execOk('ovs-ofctl', [cmd, `unix:${ovsMgmtPath(dir, bridge)}`, ...args], dir);
}

export function ovsInstalled(): boolean {
  return ['/usr/sbin/ovsdb-server', '/usr/sbin/ovs-vswitchd', OVS_SCHEMA].every((p) => existsSync(p));
}

async function pidOf(file: string, comm: string): Promise<number | null> {
  let pid: number;
  try {
    pid = Number((await readFile(file, 'utf8')).trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 1) return null;
  try {
    // /proc/PID/comm is cut at 15 characters: "ovs-vswitchd" and "ovsdb-server" both fit.
    return (await readFile(`/proc/${pid}/comm`, 'utf8')).trim() === comm ? pid : null;
  } catch {
    return null;
  }
}

/** The private OVS's daemons that are alive now, by their pid files. */
export async function ovsPids(dir: string): Promise<{ ovsdb: number | null; vswitchd: number | null }> {
  const p = ovsPaths(dir);
  return {
    ovsdb: await pidOf(p.ovsdbPid, 'ovsdb-server'),
    vswitchd: await pidOf(p.vswitchdPid, 'ovs-vswitchd'),
  };
}

export async function ovsRunning(dir: string): Promise<boolean> {
  const { ovsdb, vswitchd } = await ovsPids(dir);
  return ovsdb !== null && vswitchd !== null;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function stopPid(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const until = Date.now() + STOP_GRACE_MS;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** Stops the private OVS (vswitchd first, then the database); returns the pids it ended. */
export async function stopOvs(dir: string): Promise<number[]> {
  const { ovsdb, vswitchd } = await ovsPids(dir);
  const stopped: number[] = [];
  for (const pid of [vswitchd, ovsdb]) {
    if (pid === null) continue;
    await stopPid(pid);
    stopped.push(pid);
  }
  return stopped;
}

export interface StartOvsOptions {
  dir: string;
  /** Network namespace ovs-vswitchd runs in (its bridges' tap devices appear there); null: ours. */
  netns: string | null;
}

/** Starts only ovsdb-server on an existing database (the tests' "OVSDB restarted" case). */
export async function startOvsdb(dir: string): Promise<void> {
  const p = ovsPaths(dir);
  await execOk(
    'ovsdb-server',
    [
      p.db,
      `--remote=punix:${p.sock}`,
      `--pidfile=${p.ovsdbPid}`,
      `--log-file=${join(dir, 'ovsdb-server.log')}`,
      '--detach',
      '--no-chdir',
    ],
    dir,
  );
}

/**
 * Starts ovsdb-server (a new database from the installed schema when there is none) and
 * ovs-vswitchd; idempotent when both already run. On any failure what was started is stopped.
 */
export async function startOvs(opts: StartOvsOptions): Promise<OvsPaths> {
  const p = ovsPaths(opts.dir);
  if (await ovsRunning(opts.dir)) return p;
  await stopOvs(opts.dir);
  await mkdir(opts.dir, { recursive: true });
  // Sockets in here accept root's OpenFlow and database writes: nobody else gets in.
  await chmod(opts.dir, 0o700);
  try {
    if (!existsSync(p.db)) await execOk('ovsdb-tool', ['create', p.db, OVS_SCHEMA], opts.dir);
    await startOvsdb(opts.dir);
    await vsctl(opts.dir, ['--no-wait', 'init']);
    const vswitchd = [
      'ovs-vswitchd',
      `unix:${p.sock}`,
      `--pidfile=${p.vswitchdPid}`,
      `--log-file=${join(opts.dir, 'ovs-vswitchd.log')}`,
      '--detach',
      '--no-chdir',
    ];
    if (opts.netns === null) await execOk(vswitchd[0]!, vswitchd.slice(1), opts.dir);
    else await execOk('ip', ['netns', 'exec', opts.netns, ...vswitchd], opts.dir);
  } catch (e) {
    await stopOvs(opts.dir);
    throw e;
  }
  return p;
}
