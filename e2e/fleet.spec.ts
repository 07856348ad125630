import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { ROOT, skipReason } from './harness.ts';

/**
 * The fleet overview (`/` with no host): a hub of its own with three real agents, each watching a
 * different part of this machine (`--netns`), standing in for three hypervisors. The overview lists
 * them, says when one's agent vanishes (kill -9) and puts it first, carries its filter in the URL,
 * and one click opens a host's map.
 */
test.skip(() => skipReason() !== '', skipReason());

const PORT = Number(process.env.HOPWATCH_E2E_FLEET_PORT ?? 7196);
const BASE = `http://127.0.0.1:${PORT}`;
const TOKEN = 'e2e-fleet-agent-token';
const START_TIMEOUT_MS = 60_000;
/** Host name → the namespaces its agent watches (the lab's, up for the whole e2e run). */
const HOSTS: Record<string, string> = {
  'fleet-a': '@host',
  'fleet-b': 'hwlab-up',
  'fleet-c': 'hwlab-vm*',
};

let dir = '';
let log = '';
let loginToken = '';
const children: ChildProcess[] = [];
const agents = new Map<string, ChildProcess>();

function hopwatch(args: string[]): ChildProcess {
  const out = openSync(log, 'a');
  const child = spawn(process.execPath, ['bin/hopwatch.mjs', ...args], {
    cwd: ROOT,
    stdio: ['ignore', out, out],
  });
  children.push(child);
  return child;
}

test.beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hopwatch-e2e-fleet-'));
  log = join(dir, 'fleet.log');
  hopwatch(['hub', '--port', String(PORT), '--db', join(dir, 'fleet.db'), '--agent-token', TOKEN]);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (loginToken === '') {
    if (Date.now() > deadline) throw new Error(`the fleet hub did not start:\n${readFileSync(log, 'utf8')}`);
    loginToken = /sign in at http:\/\/\S+\?token=([\w-]+)/.exec(readFileSync(log, 'utf8'))?.[1] ?? '';
    await new Promise((r) => setTimeout(r, 250));
  }
  for (const [name, netns] of Object.entries(HOSTS))
    agents.set(
      name,
      hopwatch(
        ['agent', '--hub', `ws://127.0.0.1:${PORT}`, '--token', TOKEN, '--name', name].concat([
          '--netns',
          netns,
          '--no-tracing',
          '--interval',
          '500',
        ]),
      ),
    );
});

test.afterAll(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGINT');
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

test('FLT7: every host listed; a vanished agent says so and goes first; the filter is in the URL; a click opens the map', async ({
  browser,
}) => {
  // All three connected first: a hub that knows exactly one host opens on its map by itself.
  await expect
    .poll(
      async () => {
        const res = await fetch(`${BASE}/api/hosts`, { headers: { authorization: `Bearer ${loginToken}` } });
        const body = (await res.json()) as { hosts: { status: string }[] };
        return body.hosts.filter((h) => h.status === 'online').length;
      },
      { timeout: 30_000 },
    )
    .toBe(3);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${BASE}/?token=${loginToken}`);
  const rows = page.getByTestId('fleet-row');
  await expect(rows).toHaveCount(3, { timeout: 30_000 });
  for (const name of Object.keys(HOSTS))
    await expect(page.locator(`[data-testid=fleet-row][data-host="${name}"]`)).toHaveAttribute(
      'data-agent',
      'online',
      { timeout: 30_000 },
    );

  // kill -9 of one agent: its host stays, said to be without its agent, and comes first.
  agents.get('fleet-c')!.kill('SIGKILL');
  const gone = page.locator('[data-testid=fleet-row][data-host="fleet-c"]');
  await expect(gone).toHaveAttribute('data-agent', 'lost', { timeout: 30_000 });
  await expect(gone).toContainText('agent lost');
  await expect(rows.first()).toHaveAttribute('data-host', 'fleet-c');

  // Search goes into the URL; the URL alone gives the same list in a fresh page.
  await page.getByTestId('fleet-search').fill('fleet-a');
  await expect(rows).toHaveCount(1);
  await expect(page).toHaveURL(/[?&]q=fleet-a/);
  const other = await context.newPage();
  await other.goto(`${BASE}/?agent=lost`);
  await expect(other.getByTestId('fleet-row')).toHaveCount(1, { timeout: 30_000 });
  await expect(other.getByTestId('fleet-row').first()).toHaveAttribute('data-host', 'fleet-c');

  // One click: the host's map, live.
  await rows.first().click();
  await expect(page).toHaveURL(/[?&]host=fleet-a/);
  await expect(page.getByTestId('fleet')).toHaveCount(0);
  await expect(page.locator('[data-hop]').first()).toBeVisible({ timeout: 30_000 });
  await context.close();
});
