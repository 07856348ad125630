import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

export interface HubProcess {
  child: ChildProcess;
  url: string;
  /** The operator token from the printed login URL (null when started with --insecure-no-auth). */
  token: string | null;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `node bin/hopwatch.mjs hub ...` as a child process, resolved once it printed its URL and login URL. */
export function spawnHub(args: string[], timeoutMs = 20_000): Promise<HubProcess> {
  const child = spawn(process.execPath, ['bin/hopwatch.mjs', 'hub', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start:\n${out}\n${err}`)), timeoutMs);
    exited.then(({ code }) => reject(new Error(`hub exited with ${code} before starting:\n${out}\n${err}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /hopwatch hub: (http:\/\/\S+)/.exec(out);
      // The token is printed on a first start; later starts name the file that holds it.
      const login = /\?token=([\w-]+)\s/.exec(out)?.[1];
      const file = /with the operator token in (\S+)/.exec(out)?.[1];
      const token = login ?? (file ? readFileSync(file, 'utf8').trim() : null);
      if (m && (token || /authentication is OFF/.test(err))) {
        clearTimeout(timer);
        resolve({
          child,
          url: m[1]!,
          token,
          stdout: () => out,
          stderr: () => err,
          exited,
        });
      }
    });
  });
}
