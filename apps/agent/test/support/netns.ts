import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

/** Root integration tests: every namespace and host interface they make starts with these. */
export const NS_PREFIX = 'hwt-ag-';
export const HOST_IF_PREFIX = 'hwtag';
export const IS_ROOT = process.getuid?.() === 0;
if (!IS_ROOT)
  console.log('apps/agent integration tests skipped: they need root (namespaces, sysctls, tracefs)');

/** Run a command, throw with its stderr on failure. */
export function sh(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Run `ip` lines in one batch in a namespace ('' = host); the first failure throws. */
export function ipBatch(ns: string, lines: string[]): void {
  const args = ns === '' ? ['-b', '-'] : ['-n', ns, '-b', '-'];
  execFileSync('ip', args, { input: `${lines.join('\n')}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
}

/** Remove every namespace with our prefix and every host interface with ours. Idempotent. */
export function cleanupAll(prefix = NS_PREFIX): void {
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {}
  for (const name of names.filter((n) => n.startsWith(prefix))) {
    try {
      sh('ip', 'netns', 'del', name);
    } catch {}
  }
  for (const dev of readdirSync('/sys/class/net').filter((d) => d.startsWith(HOST_IF_PREFIX))) {
    try {
      sh('ip', 'link', 'del', dev);
    } catch {}
  }
}

/** A host sysctl, restored by the returned function (call it in afterAll/finally). */
export function setSysctl(path: string, value: string): () => void {
  const file = `/proc/sys/${path.replaceAll('.', '/')}`;
  const before = readFileSync(file, 'utf8').trim();
  writeFileSync(file, value);
  return () => writeFileSync(file, before);
}

/** Turn IPv6 off in a namespace: no router solicitations moving counters behind our back. */
export function quiet(ns: string): void {
  sh(
    'ip',
    'netns',
    'exec',
    ns,
    'sysctl',
    '-qw',
    'net.ipv6.conf.all.disable_ipv6=1',
    'net.ipv6.conf.default.disable_ipv6=1',
  );
}

/** Run a command to completion asynchronously (the agent samples meanwhile). */
export function run(
  cmd: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function instances(): string[] {
  try {
    return readdirSync('/sys/kernel/tracing/instances');
  } catch {
    return [];
  }
}

export async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
