import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Discovery commands answer in milliseconds; one that hangs (a namespace being torn down) is killed. */
const EXEC_TIMEOUT_MS = 10_000;

/**
 * Run a command to completion and collect its output, never throwing: a missing binary or a
 * namespace that vanished is an ExecResult with a non-zero code and the reason in stderr, for the
 * caller to log in words.
 */
export function execText(cmd: string, args: string[], stdin: string | null = null): Promise<ExecResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let settled = false;
    const finish = (r: ExecResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const child = spawn(cmd, args, { stdio: [stdin === null ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), EXEC_TIMEOUT_MS);
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => finish({ code: null, stdout: '', stderr: e.message }));
    child.on('close', (code) =>
      finish({
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
    if (stdin !== null && child.stdin) {
      child.stdin.on('error', () => {}); // the child may exit before reading: its exit code says why
      child.stdin.end(stdin);
    }
  });
}
