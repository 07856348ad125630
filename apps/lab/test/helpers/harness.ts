/**
 * Shared by the root integration tests: counters of every lab interface, softnet drops, and
 * running the real CLI (`node bin/hopwatch.mjs …`) the way a user would.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/run.ts';
import { LAB_NAMESPACES } from '../../src/topology.ts';

export const IS_ROOT = process.getuid?.() === 0;
if (!IS_ROOT) console.log('apps/lab integration tests skipped: they need root (namespaces, sysctls)');

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

export interface Ctr {
  rxPackets: number;
  rxDropped: number;
  txPackets: number;
  txDropped: number;
}

/** /proc/net/dev of every lab namespace, by id. */
export async function labCounters(): Promise<Map<string, Ctr>> {
  const out = new Map<string, Ctr>();
  for (const ns of LAB_NAMESPACES) {
    const r = await run('ip', ['netns', 'exec', ns, 'cat', '/proc/net/dev']);
    for (const line of r.stdout.split('\n').slice(2)) {
      const [name, rest] = line.split(':');
      if (!name || !rest || name.trim() === 'lo') continue;
      const f = rest.trim().split(/\s+/).map(Number);
      out.set(`${ns}/${name.trim()}`, {
        rxPackets: f[1]!,
        rxDropped: f[3]!,
        txPackets: f[9]!,
        txDropped: f[11]!,
      });
    }
  }
  return out;
}

export function counterDelta(a: Map<string, Ctr>, b: Map<string, Ctr>): Map<string, Ctr> {
  const out = new Map<string, Ctr>();
  for (const [id, y] of b) {
    const x = a.get(id) ?? { rxPackets: 0, rxDropped: 0, txPackets: 0, txDropped: 0 };
    out.set(id, {
      rxPackets: y.rxPackets - x.rxPackets,
      rxDropped: y.rxDropped - x.rxDropped,
      txPackets: y.txPackets - x.txPackets,
      txDropped: y.txDropped - x.txDropped,
    });
  }
  return out;
}

/** Column 2 (dropped) of /proc/net/softnet_stat per CPU (column 13). */
export async function softnetDropped(): Promise<Map<number, number>> {
  const text = await readFile('/proc/net/softnet_stat', 'utf8');
  const out = new Map<number, number>();
  text
    .trim()
    .split('\n')
    .forEach((line, k) => {
      const c = line.trim().split(/\s+/);
      out.set(c[12] !== undefined ? Number.parseInt(c[12], 16) : k, Number.parseInt(c[1]!, 16));
    });
  return out;
}

export async function readSysctlValue(name: string): Promise<string> {
  return (await readFile(`/proc/sys/${name.replaceAll('.', '/')}`, 'utf8')).trim();
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], timeoutMs = 90_000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/hopwatch.mjs', ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** A command of the CLI still being a placeholder of the skeleton. */
export const notImplemented = (r: CliResult) => /not implemented yet/.test(r.stderr + r.stdout);
