/** The executor: runs the steps `plan.ts` and `faults.ts` build. All process spawning lives here. */
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import type { Step } from './plan.ts';
import { LAB_PREFIX } from './topology.ts';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class LabError extends Error {}

/** `env` defaults to ours; the private OVS passes its run directory's variables (ovs/daemon.ts). */
export function run(
  cmd: string,
  args: readonly string[],
  input?: string,
  env?: NodeJS.ProcessEnv,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    if (child.stdin) {
      // A command that fails early closes its stdin before reading the batch: its exit code
      // and stderr tell the story, the EPIPE does not.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
  });
}

/** Runs and throws a LabError naming the command and the kernel's complaint when it fails. */
export async function runOk(
  cmd: string,
  args: readonly string[],
  input?: string,
  env?: NodeJS.ProcessEnv,
): Promise<string> {
  const r = await run(cmd, args, input, env);
  if (r.code !== 0) {
    const what = input
      ? `${cmd} ${args.join(' ')} <<< ${input.trim().split('\n').join(' ; ')}`
      : `${cmd} ${args.join(' ')}`;
    throw new LabError(`${what}\n  failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

export function stepArgv(step: Step): { cmd: string; args: string[]; input?: string } {
  switch (step.tool) {
    case 'ip':
      return {
        cmd: 'ip',
        args: [...(step.netns ? ['-n', step.netns] : []), '-b', '-'],
        input: `${step.lines.join('\n')}\n`,
      };
    case 'bridge':
      return { cmd: 'bridge', args: ['-n', step.netns, '-b', '-'], input: `${step.lines.join('\n')}\n` };
    case 'sh':
      return { cmd: 'ip', args: ['netns', 'exec', step.netns, 'sh', '-c', step.script] };
    case 'nft':
      return {
        cmd: 'ip',
        args: ['netns', 'exec', step.netns, 'nft', '-f', '-'],
        input: `${step.lines.join('\n')}\n`,
      };
    case 'ovs-vsctl':
      // The lab's OVS applies a change before ovs-vsctl returns; a loaded machine needs seconds.
      return { cmd: 'ovs-vsctl', args: [`--db=unix:${step.sock}`, '--timeout=20', ...step.args] };
    case 'ovs-ofctl':
      return { cmd: 'ovs-ofctl', args: [step.cmd, `unix:${step.mgmt}`, ...step.args] };
    default: {
      const never: never = step;
      throw new Error(`unknown step ${JSON.stringify(never)}`);
    }
  }
}

export async function runSteps(steps: readonly Step[]): Promise<void> {
  for (const step of steps) {
    const { cmd, args, input } = stepArgv(step);
    await runOk(cmd, args, input);
  }
}

/** The lab's namespaces that exist now, found by prefix (so also the leftovers of a crash). */
export async function labNamespaces(): Promise<string[]> {
  try {
    return (await readdir('/run/netns')).filter((n) => n.startsWith(LAB_PREFIX)).sort();
  } catch {
    return [];
  }
}
