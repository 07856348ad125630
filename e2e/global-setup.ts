import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  authHeaders,
  BASE_URL,
  E2E_PORT,
  hopwatch,
  LOGIN_URL_ENV,
  OVS_MODE,
  ROOT,
  SKIP_ENV,
  STORAGE_STATE,
  TOKEN_ENV,
} from './harness.ts';

/** The hub, its agent and the lab come up in seconds; this bounds a broken start. */
const START_TIMEOUT_MS = 90_000;
const POLL_MS = 250;
/** A stuck child gets this long after SIGINT before SIGKILL. */
const STOP_GRACE_MS = 30_000;

interface Run {
  children: ChildProcess[];
  dir: string;
  /** Compose mode brought the lab up itself and takes it down. */
  labUp: boolean;
}

declare global {
  // Shared with global-teardown (same process).
  var hopwatchE2E: Run | undefined;
}

function spawnHopwatch(args: string[], logFile: string): ChildProcess {
  const out = openSync(logFile, 'a');
  return spawn(process.execPath, ['bin/hopwatch.mjs', ...args], {
    cwd: ROOT,
    stdio: ['ignore', out, out],
    detached: true,
  });
}

/** The login URL the hub printed (`sign in at http://…/?token=…`); its token is the tests' too. */
function loginUrlFrom(logFile: string): string | null {
  return /sign in at (http:\/\/\S+\?token=[\w-]+)/.exec(readFileSync(logFile, 'utf8'))?.[1] ?? null;
}

async function waitForLab(children: ChildProcess[], logFile: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (children.some((c) => c.exitCode !== null)) break;
    const login = loginUrlFrom(logFile);
    if (login === null) {
      await new Promise((r) => setTimeout(r, POLL_MS));
      continue;
    }
    process.env[LOGIN_URL_ENV] = login;
    process.env[TOKEN_ENV] = new URL(login).searchParams.get('token') ?? '';
    const headers = authHeaders();
    try {
      const res = await fetch(`${BASE_URL}/api/hosts`, { headers });
      if (res.ok) {
        const { hosts } = (await res.json()) as { hosts: { host: string }[] };
        for (const h of hosts) {
          const topo = await fetch(`${BASE_URL}/api/hosts/${encodeURIComponent(h.host)}/topology`, {
            headers,
          });
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
  throw new Error(`hopwatch did not show the lab within ${START_TIMEOUT_MS} ms:\n${log}`);
}

/**
 * A browser signed in as the hub's operator: the session cookie POST /api/session sets, in
 * Playwright's storage-state format. Pages of every spec start from it.
 */
async function writeStorageState(): Promise<void> {
  const res = await fetch(`${BASE_URL}/api/session`, { method: 'POST', headers: authHeaders() });
  const cookie = /^([^=]+)=([^;]+)/.exec(res.headers.get('set-cookie') ?? '');
  if (!res.ok || cookie === null) throw new Error(`could not sign in to the e2e hub: ${res.status}`);
  const state = {
    cookies: [
      {
        name: cookie[1],
        value: cookie[2],
        domain: new URL(BASE_URL).hostname,
        path: '/',
        expires: Math.floor(Date.now() / 1000) + 12 * 3600,
        httpOnly: true,
        secure: false,
        sameSite: 'Strict',
      },
    ],
    origins: [],
  };
  writeFileSync(STORAGE_STATE, JSON.stringify(state), { mode: 0o600 });
}

/**
 * The real thing: build the web app, then `hopwatch start --lab` as root with a temporary
 * database (hub + embedded agent + namespace lab). HOPWATCH_E2E_COMPOSE=1 assembles the same from
 * `lab up`, `hopwatch hub` and `hopwatch agent` instead. Not root: every spec skips, saying why.
 */
export default async function globalSetup(): Promise<void> {
  // Every context loads it, even in a run where every test skips.
  writeFileSync(STORAGE_STATE, JSON.stringify({ cookies: [], origins: [] }), { mode: 0o600 });
  if (process.getuid?.() !== 0) {
    process.env[SKIP_ENV] = 'e2e needs root (network namespaces, sysctls, tracefs): run it as root';
    console.log(`hopwatch e2e: skipped, ${process.env[SKIP_ENV]}`);
    return;
  }
  // Against a hopwatch already running on HOPWATCH_E2E_PORT: start nothing.
  // Its operator token comes in HOPWATCH_E2E_TOKEN.
  if (process.env.HOPWATCH_E2E_EXTERNAL === '1') {
    if (process.env[TOKEN_ENV]) await writeStorageState();
    return;
  }
  if (process.env.HOPWATCH_E2E_NO_BUILD !== '1') {
    execFileSync('npm', ['run', '-s', 'build', '-w', '@hopwatch/web'], { cwd: ROOT, stdio: 'inherit' });
  }
  const dir = mkdtempSync(join(tmpdir(), 'hopwatch-e2e-'));
  // Outside the temp dir so a failed run leaves its story behind.
  const logFile = join(tmpdir(), 'hopwatch-e2e.log');
  console.log(`hopwatch e2e: hub, agent and lab log to ${logFile}`);
  const db = join(dir, 'e2e.db');
  writeFileSync(logFile, '');
  const run: Run = { children: [], dir, labUp: false };
  globalThis.hopwatchE2E = run;
  try {
    if (process.env.HOPWATCH_E2E_COMPOSE === '1') {
      const token = 'e2e-token';
      await hopwatch(['lab', 'up'], 120_000);
      run.labUp = true;
      run.children.push(
        spawnHopwatch(['hub', '--port', String(E2E_PORT), '--db', db, '--agent-token', token], logFile),
      );
      run.children.push(
        spawnHopwatch(
          [
            ...['agent', '--hub', `ws://127.0.0.1:${E2E_PORT}`, '--token', token, '--name', 'e2e-lab'],
            // Screenshots want the lab alone, not other engineers' test namespaces.
            ...(process.env.HOPWATCH_E2E_NETNS ? ['--netns', process.env.HOPWATCH_E2E_NETNS] : []),
          ],
          logFile,
        ),
      );
    } else {
      const lab = OVS_MODE ? ['--lab', '--ovs'] : ['--lab'];
      run.children.push(spawnHopwatch(['start', ...lab, '--port', String(E2E_PORT), '--db', db], logFile));
    }
    await waitForLab(run.children, logFile);
    await writeStorageState();
    console.log(`hopwatch e2e: lab visible at ${BASE_URL}, signed in`);
  } catch (e) {
    await stopHopwatch();
    throw e;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const pid = child.pid;
  const timer = setTimeout(() => process.kill(-pid, 'SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

/** SIGINT lets `start --lab` take the lab down and restore sysctls; SIGKILL only if it hangs. */
export async function stopHopwatch(): Promise<void> {
  const run = globalThis.hopwatchE2E;
  if (run === undefined) return;
  globalThis.hopwatchE2E = undefined;
  // Agent before hub (it says goodbye), both before the lab goes.
  for (const child of [...run.children].reverse()) await stop(child);
  if (run.labUp) await hopwatch(['lab', 'down'], 120_000);
  rmSync(run.dir, { recursive: true, force: true });
}
