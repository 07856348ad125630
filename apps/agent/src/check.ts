import {
  accessSync,
  closeSync,
  constants,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmdirSync,
  statSync,
} from 'node:fs';
import { describeKfreeSkb, NO_REASON_DETAIL } from './parse/tracefs.ts';
import { findTracefs } from './tracing/tracefs.ts';
import { openKernelFile, readTextOrNull } from './util/procfs.ts';
import { execText } from './util/exec.ts';

/**
 * `hopwatch agent --check`: what this agent can see with the privileges it runs with, and which
 * capability or mount is missing for the rest. Each line is one ability; nothing is changed on the
 * host except a tracefs instance made and removed at once (the same the agent would make).
 */

/** Capability bits (linux/capability.h) the agent uses, and what for (packaging/README.md). */
export const AGENT_CAPABILITIES = {
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_ADMIN: 21,
} as const;
export type AgentCapability = keyof typeof AGENT_CAPABILITIES;

export interface CheckLine {
  ok: boolean;
  what: string;
  /** Why not, and what would fix it; null when ok. */
  missing: string | null;
}

/** `CapEff:\t0000000000280006` of /proc/self/status → the agent capabilities it holds. */
export function parseEffectiveCaps(status: string): Set<AgentCapability> {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  const bits = m ? BigInt(`0x${m[1]}`) : 0n;
  const held = new Set<AgentCapability>();
  for (const [name, bit] of Object.entries(AGENT_CAPABILITIES) as [AgentCapability, number][]) {
    if ((bits >> BigInt(bit)) & 1n) held.add(name);
  }
  return held;
}

/** stat, not existsSync: access(2) ignores the capabilities an agent user holds. */
function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function need(caps: Set<AgentCapability>, ...wanted: AgentCapability[]): string | null {
  const lacking = wanted.filter((c) => !caps.has(c));
  return lacking.length === 0 ? null : `needs ${lacking.join(' + ')}`;
}

export interface CheckRoots {
  procRoot: string;
  sysRoot: string;
  netnsDir: string;
  ovsdbSocket: string;
}

export async function runChecks(roots: CheckRoots): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  const status = readFileSync(`${roots.procRoot}/self/status`, 'utf8');
  const caps = parseEffectiveCaps(status);
  const uid = process.geteuid?.() ?? -1;
  lines.push({
    ok: true,
    what: `running as uid ${uid} with ${caps.size === 0 ? 'no agent capabilities' : [...caps].join(', ')}`,
    missing: null,
  });

  // Named namespaces: list /run/netns and enter one.
  let named: string[] = [];
  try {
    named = readdirSync(roots.netnsDir);
  } catch {
    // no /run/netns: no named namespaces on this host
  }
  if (named.length === 0) {
    lines.push({ ok: true, what: `no named namespaces in ${roots.netnsDir}`, missing: null });
  } else {
    const first = named[0] as string;
    const r = await execText('ip', ['-n', first, '-j', 'link', 'show', 'lo']);
    lines.push({
      ok: r.code === 0,
      what: `enter named namespaces (${named.length} in ${roots.netnsDir}) with ip -n`,
      missing:
        r.code === 0
          ? null
          : `${r.stderr.trim().split('\n')[0] ?? 'failed'}; ${need(caps, 'CAP_SYS_ADMIN', 'CAP_NET_ADMIN') ?? 'see stderr'}`,
    });
  }

  // Unnamed namespaces: other users' /proc/PID/ns/net.
  let seen = 0;
  let denied = 0;
  for (const pid of readdirSync(roots.procRoot)) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      // The namespace link of another user's process needs ptrace read access, as setns does.
      readlinkSync(`${roots.procRoot}/${pid}/ns/net`);
      seen++;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EACCES' || code === 'EPERM') {
        seen++;
        denied++;
      } // ENOENT: the process exited meanwhile
    }
  }
  // With CAP_SYS_PTRACE, what is still refused is refused by policy (Yama, an LSM, a sandbox's
  // init), which no capability of ours changes: say so, but it is not a missing privilege.
  const policy = denied > 0 && caps.has('CAP_SYS_PTRACE');
  lines.push({
    ok: denied === 0 || policy,
    what:
      `read other processes' namespaces through /proc (${seen - denied} of ${seen} processes` +
      (policy ? `; ${denied} refused by the kernel's policy, not for want of a capability)` : ')'),
    missing: denied === 0 || policy ? null : need(caps, 'CAP_SYS_PTRACE'),
  });

  // Kernel drop reasons: tracefs mounted, kfree_skb present, an instance can be made.
  const tracefs = findTracefs(roots.sysRoot);
  if (tracefs === null) {
    const dir = `${roots.sysRoot}/kernel/tracing`;
    let why = `mount -t tracefs nodev ${dir} (the agent mounts it itself: ${need(caps, 'CAP_SYS_ADMIN') ?? 'it may'})`;
    try {
      readdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EACCES')
        why = `${dir} is not readable: ${need(caps, 'CAP_DAC_READ_SEARCH') ?? 'permission denied'}`;
    }
    lines.push({ ok: false, what: 'kernel drop reasons (tracefs)', missing: why });
  } else if (!exists(`${tracefs}/events/skb/kfree_skb/format`)) {
    lines.push({
      ok: false,
      what: 'kernel drop reasons (skb:kfree_skb)',
      missing: `${tracefs}/events/skb/kfree_skb is not readable or absent: ${need(caps, 'CAP_DAC_READ_SEARCH') ?? 'the kernel has no such event'}`,
    });
  } else {
    const dir = `${tracefs}/instances/hopwatch-check-${process.pid}`;
    let missing: string | null = null;
    try {
      mkdirSync(dir);
      rmdirSync(dir);
    } catch (e) {
      missing = `cannot create ${dir} (${(e as NodeJS.ErrnoException).code}): ${need(caps, 'CAP_DAC_OVERRIDE') ?? 'see the error'}`;
    }
    lines.push({
      ok: missing === null,
      what: `kernel drop reasons (private instance in ${tracefs})`,
      missing,
    });
    const format = readTextOrNull(`${tracefs}/events/skb/kfree_skb/format`, 1024 * 1024);
    if (format !== null) lines.push(...kernelDropReasonLines(format, readKallsymsHead()));
  }

  // Open vSwitch: only where one runs.
  if (exists(roots.ovsdbSocket)) {
    let missing: string | null = null;
    try {
      accessSync(roots.ovsdbSocket, constants.R_OK | constants.W_OK);
    } catch {
      missing = `${roots.ovsdbSocket} is not writable for this user: add it to the socket's group (openvswitch) or grant CAP_DAC_OVERRIDE`;
    }
    lines.push({ ok: missing === null, what: `Open vSwitch database at ${roots.ovsdbSocket}`, missing });
  } else {
    lines.push({ ok: true, what: `no Open vSwitch here (${roots.ovsdbSocket} absent)`, missing: null });
  }
  return lines;
}

/**
 * What this kernel's kfree_skb can tell (parse/tracefs.ts describeKfreeSkb): no reasons before
 * 5.17 (RHEL 9 backports them), and on kernels printing the location as an address, whether
 * /proc/kallsyms shows real addresses to this user (kptr_restrict hides them without CAP_SYSLOG).
 */
export function kernelDropReasonLines(format: string, kallsymsHead: string | null): CheckLine[] {
  const shape = describeKfreeSkb(format);
  if (!shape.hasReason)
    return [
      { ok: false, what: 'kernel drop reasons (skb:kfree_skb reason field)', missing: NO_REASON_DETAIL },
    ];
  if (shape.locationIsSymbol) return [];
  const address = kallsymsHead?.split(' ')[0] ?? '';
  const readable = /[1-9a-f]/.test(address);
  return [
    {
      ok: readable,
      what: 'drop locations named through /proc/kallsyms (this kernel prints them as addresses)',
      missing: readable
        ? null
        : '/proc/kallsyms shows zeros to this user (kernel.kptr_restrict): CAP_SYSLOG, or locations stay addresses',
    },
  ];
}

/** The first line of /proc/kallsyms, without reading the whole 5–15 MB file. */
function readKallsymsHead(): string | null {
  try {
    const fd = openKernelFile('/proc/kallsyms');
    try {
      const head = Buffer.alloc(256);
      return head.toString('latin1', 0, readSync(fd, head));
    } finally {
      closeSync(fd);
    }
  } catch {
    return null;
  }
}

export function formatCheck(lines: CheckLine[]): string {
  return lines.map((l) => (l.ok ? `✓ ${l.what}` : `✗ ${l.what}: ${l.missing}`)).join('\n');
}
