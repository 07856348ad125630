/**
 * The unprivileged local user of the security tests (SPEC SEC*): processes run as nobody
 * (65534) in namespaces of their own (`unshare -Urmn`), exactly what any user can do on a host
 * with unprivileged user namespaces. Each runs in its own process group so that it, and every
 * process it started, is killed by pgid and by nothing broader.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

export const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

/** A root-only secret file with a unique marker, in a directory nobody may traverse. */
export function makeSecret(): { dir: string; path: string; marker: string; remove: () => void } {
  const dir = mkdtempSync('/tmp/hwt-ag-sec-');
  chmodSync(dir, 0o755); // nobody must reach the scripts; the secret itself stays 0600
  const marker = `HWSECRET-${randomUUID()}`;
  const path = `${dir}/secret`;
  writeFileSync(path, `${marker}\n`, { mode: 0o600 });
  return { dir, path, marker, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Attacker {
  child: ChildProcess;
  pid: number;
  output: () => string;
  kill: () => Promise<void>;
}

/**
 * Run `sh -c script` as nobody under `unshare ARGS`; resolves once it prints `ready`. The
 * script must end in `exec sleep …` (or `wait`), so the process stays until killed.
 */
export async function startAttacker(
  unshareArgs: string[],
  script: string,
  readyTimeoutMs = 30_000,
): Promise<Attacker> {
  const child = spawn('setpriv', [...NOBODY, 'unshare', ...unshareArgs, 'sh', '-c', script], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const pid = child.pid!;
  const kill = async () => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {}
    if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
  };
  const deadline = Date.now() + readyTimeoutMs;
  while (!/^ready$/m.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await kill();
      throw new Error(`attacker did not get ready: ${out.slice(0, 2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, pid, output: () => out, kill };
}

export function netnsInode(pid: number): number {
  return Number(/net:\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/net`))![1]);
}

/**
 * The attack on the agent's sysfs reads: a tmpfs over /sys in the attacker's own mount
 * namespace, where rps_cpus is a symlink to the secret (lo), a FIFO (v0) and a link to /dev/zero
 * (v1), and an ifindex file links to the secret (w0) — with the real ifindex everywhere else, as
 * the agent once checked it before trusting rps_cpus.
 */
export function sysfsAttackScript(secret: string): string {
  return [
    'set -e',
    'mount -t tmpfs none /sys',
    'ip link set lo up',
    'ip link add v0 type veth peer name v1',
    'ip link add w0 type veth peer name w1',
    'for d in lo v0 v1 w0; do mkdir -p /sys/class/net/$d/queues/rx-0; ip -o link show dev $d | cut -d: -f1 > /sys/class/net/$d/ifindex; done',
    `ln -s ${shq(secret)} /sys/class/net/lo/queues/rx-0/rps_cpus`,
    'mkfifo /sys/class/net/v0/queues/rx-0/rps_cpus',
    'ln -s /dev/zero /sys/class/net/v1/queues/rx-0/rps_cpus',
    `ln -sf ${shq(secret)} /sys/class/net/w0/ifindex`,
    'echo ready',
    'exec sleep 600',
  ].join('\n');
}

/** Interface names that break terminals, `ip -b`/`tc -b` batches and argv (Linux takes them all). */
export const HOSTILE_NAMES = ['-x', 'a"b', "a'b", '"q', "'c", 'a#b', 'e\x1b[2Jf', 'a\\b', '$(id)'];

/** Veths with the hostile names, and a queueing qdisc on `"q`, the one tc's batch parser chokes on. */
export function namesAttackScript(): string {
  return [
    'set -e',
    ...HOSTILE_NAMES.map((n, k) => `ip link add name ${shq(n)} type veth peer name w${k}`),
    `tc qdisc add dev ${shq('"q')} root tbf rate 1mbit burst 32kbit latency 400ms`,
    'echo ready',
    'exec sleep 600',
  ].join('\n');
}

function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** `count` namespaces, each held by its own `sleep` (nobody's processes, one process group). */
export function floodScript(count: number): string {
  return `i=0; while [ $i -lt ${count} ]; do unshare -n sleep 900 & i=$((i+1)); done; echo ready; wait`;
}

/** Peak RSS (VmHWM) of a process in kB, or null once it is gone. */
export function peakRssKb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}
