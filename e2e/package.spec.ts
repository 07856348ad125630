import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ROOT, skipReason } from './harness.ts';

/**
 * PKG1: the npm package as an operator installs it. `npm pack` in the checkout, `npm install -g`
 * of the tarball into an empty prefix, then `hopwatch start` run from a directory outside the
 * checkout with an environment that does not point back at it: the hub must serve the built app
 * (never the "not built" page) and the app must load in Chromium with live data from the
 * package's own embedded agent.
 */

/**
 * npm install builds better-sqlite3 from source here (no prebuilt binaries reachable): ~2 min on
 * an idle 2-core machine, several times that on a busy one.
 */
const INSTALL_TIMEOUT_MS = 15 * 60_000;
const PORT = 7198;

// No retries: a retry would pack and install again, and a failure here is not flaky.
test.describe.configure({ timeout: INSTALL_TIMEOUT_MS + 120_000, retries: 0 });

let dir = '';
let hub: ChildProcess | null = null;
let loginUrl = '';
let output = '';

test.beforeAll(async () => {
  if (skipReason()) return;
  // Hooks do not take describe.configure's timeout: the install needs its own.
  test.setTimeout(INSTALL_TIMEOUT_MS + 120_000);
  dir = mkdtempSync(join(tmpdir(), 'hopwatch-pkg-'));
  const packDir = join(dir, 'pack');
  const prefix = join(dir, 'prefix');
  const cwd = join(dir, 'cwd');
  for (const d of [packDir, prefix, cwd]) mkdirSync(d);
  execFileSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: ROOT, stdio: 'pipe' });
  const tarball = readdirSync(packDir).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${packDir}`);
  const t0 = Date.now();
  execFileSync(
    'npm',
    [
      'install',
      '-g',
      '--no-audit',
      '--no-fund',
      '--allow-scripts=better-sqlite3',
      '--prefix',
      prefix,
      join(packDir, tarball),
    ],
    {
      cwd,
      stdio: 'pipe',
      timeout: INSTALL_TIMEOUT_MS,
      env: { ...process.env, npm_config_loglevel: 'error' },
    },
  );
  console.log(`PKG1: npm install -g of the tarball took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  const installed = join(prefix, 'lib/node_modules/hopwatch');
  // Only what runs: no sources, no workspaces, no tsx, React or Vite.
  expect(existsSync(join(installed, 'apps'))).toBe(false);
  expect(existsSync(join(installed, 'node_modules/tsx'))).toBe(false);
  expect(existsSync(join(installed, 'node_modules/react'))).toBe(false);

  const child = spawn(
    join(prefix, 'bin/hopwatch'),
    ['start', '--port', String(PORT), '--db', join(cwd, 'rec.db')],
    {
      cwd,
      // The installed command must find everything inside its own package.
      env: { PATH: `${prefix}/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`, HOME: cwd },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const seen = (chunk: Buffer) => {
    output += chunk.toString();
  };
  hub = child;
  child.stdout?.on('data', seen);
  child.stderr?.on('data', seen);
  const deadline = Date.now() + 60_000;
  while (!/open (http:\/\/\S+)/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`the installed hopwatch printed no URL to open:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  loginUrl = /open (http:\/\/\S+)/.exec(output)?.[1] ?? '';
});

test.afterAll(async () => {
  if (hub && hub.exitCode === null) {
    const exited = new Promise((r) => hub?.once('exit', r));
    hub.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
    if (hub.exitCode === null) hub.kill('SIGKILL');
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('PKG1: the installed package serves the built app, which shows this machine live', async ({ page }) => {
  test.skip(Boolean(skipReason()), skipReason());
  await page.goto(loginUrl);
  await expect(page.locator('body')).not.toContainText('web app is not built');
  // The embedded agent's host appears and its map draws interface nodes.
  await expect(page.locator('[data-hop]').first()).toBeVisible({ timeout: 30_000 });
});
