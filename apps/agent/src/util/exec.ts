import { spawn } from 'node:child_process';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Discovery commands answer in milliseconds; one that hangs (a namespace being torn down) is killed. */
const EXEC_TIMEOUT_MS = 10_000;
/**
 * Output beyond this is not buffered: the command is killed and the call fails. A probe of a
 * namespace with 4096 interfaces prints ~8 MB; a tenant with a million addresses would print
 * hundreds (SPEC SEC2).
 */
export const EXEC_MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/**
 * Run a command to completion and collect its output, never throwing: a missing binary or a
 * namespace that vanished is an ExecResult with a non-zero code and the reason in stderr, for the
 * caller to log in words.
 */
export function execText(
  cmd: string,
  args: string[],
  stdin: string | null = null,
  maxBytes = EXEC_MAX_OUTPUT_BYTES,
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let tooBig = false;
    let settled = false;
    const finish = (r: ExecResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const child = spawn(cmd, args, { stdio: [stdin === null ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), EXEC_TIMEOUT_MS);
    const collect = (into: Buffer[]) => (b: Buffer) => {
      if (tooBig) return;
      bytes += b.length;
      if (bytes > maxBytes) {
        tooBig = true;
        out.length = 0;
        child.kill('SIGKILL');
        return;
      }
      into.push(b);
    };
    child.stdout?.on('data', collect(out));
    child.stderr?.on('data', collect(err));
    child.on('error', (e) => finish({ code: null, stdout: '', stderr: e.message }));
    child.on('close', (code) =>
      finish(
        tooBig
          ? { code: null, stdout: '', stderr: `${cmd} printed more than ${maxBytes} bytes; stopped` }
          : {
              code,
              stdout: Buffer.concat(out).toString('utf8'),
              stderr: Buffer.concat(err).toString('utf8'),
            },
      ),
    );
    if (stdin !== null && child.stdin) {
      child.stdin.on('error', () => {}); // the child may exit before reading: its exit code says why
      child.stdin.end(stdin);
    }
  });
}
