import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_URL, E2E_PORT, ROOT, SKIP_ENV } from './harness.ts';

/** The hub, its agent and the lab come up in seconds; this bounds a broken start. */
const START_TIMEOUT_MS = 90_000;
const POLL_MS = 250;

declare global {
  // Shared with global-teardown (same process).
  var hopwatchE2E: { child: ChildProcess; dir: string } | undefined;
}

async function waitForLab(child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${BASE_URL}/api/hosts`);
      if (res.ok) {
        const { hosts } = (await res.json()) as { hosts: { host: string }[] };
        for (const h of hosts) {
          const topo = await fetch(`${BASE_URL}/api/hosts/${encodeURIComponent(h.host)}/topology`);
          if (!topo.ok) continue;
          const body = (await topo.json()) as { topology: { ifaces: { id: string }[] } };
          if (body.topology.ifaces.some((i) => i.id === 'hwlab-qrouter-a1/qg-a1')) return;
        }
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const log = readFileSync(logFile, 'utf8').slice(-4000);
  throw new Error(`hopwatch start --lab did not show the lab within ${START_TIMEOUT_MS} ms:\n${log}`);
}

/**
 * The real thing: build the web app, then `hopwatch start --lab` as root with a temporary
 * database (hub + embedded agent + namespace lab). Not root: every spec skips, saying why.
 */
export default async function globalSetup(): Promise<void> {
  if (process.getuid?.() !== 0) {
    process.env[SKIP_ENV] = 'e2e needs root (network namespaces, sysctls, tracefs): run it as root';
    console.log(`hopwatch e2e: skipped, ${process.env[SKIP_ENV]}`);
    return;
  }
  // Against a hopwatch already running on HOPWATCH_E2E_PORT (a developer's own, or the web
  // bench's fake hub for the specs that need no lab): start nothing.
  if (process.env.HOPWATCH_E2E_EXTERNAL === '1') return;
  if (process.env.HOPWATCH_E2E_NO_BUILD !== '1') {
    execFileSync('npm', ['run', '-s', 'build', '-w', '@hopwatch/web'], { cwd: ROOT, stdio: 'inherit' });
  }
  const dir = mkdtempSync(join(tmpdir(), 'hopwatch-e2e-'));
  const logFile = join(dir, 'hopwatch.log');
  const out = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    ['bin/hopwatch.mjs', 'start', '--lab', '--port', String(E2E_PORT), '--db', join(dir, 'e2e.db')],
    { cwd: ROOT, stdio: ['ignore', out, out], detached: true },
  );
  globalThis.hopwatchE2E = { child, dir };
  try {
    await waitForLab(child, logFile);
  } catch (e) {
    await stopHopwatch();
    throw e;
  }
}

/** SIGINT lets `start --lab` take the lab down and restore sysctls; SIGKILL only if it hangs. */
export async function stopHopwatch(): Promise<void> {
  const run = globalThis.hopwatchE2E;
  if (run === undefined) return;
  globalThis.hopwatchE2E = undefined;
  const { child, dir } = run;
  if (child.exitCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGINT');
    const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dir, { recursive: true, force: true });
}
