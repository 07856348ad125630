/**
 * Shared by the root integration tests: counters of every lab interface, softnet drops, and
 * running the real CLI (`node bin/hopwatch.mjs …`) the way a user would.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const IS_ROOT = process.getuid?.() === 0;
if (!IS_ROOT) console.log('apps/lab integration tests skipped: they need root (namespaces, sysctls)');

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

export { type Ctr, counterDelta, labCounters, softnetDropped } from '../../src/counters.ts';

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
