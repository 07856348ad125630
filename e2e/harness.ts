import { execFile, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';

/** The checkout root (e2e/ is one level down). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** A port of its own so a developer's `npm start` on 7070 does not answer the tests. */
export const E2E_PORT = Number(process.env.HOPWATCH_E2E_PORT ?? 7199);
export const BASE_URL = `http://127.0.0.1:${E2E_PORT}`;
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  // Chromium 156 loads its omnibox popup (a WebUI page of ~400 modules in a renderer of its own)
  // with every new window, and each test opens one: work beside the app on the same two cores.
  '--disable-features=WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup',
];

/**
 * The hub's operator token, from the login URL it printed (global-setup sets it; the env carries
 * it to the workers), and a browser storage state signed in with it, which every page starts
 * from (playwright.config.ts). auth.spec.ts opens the login URL itself.
 */
export const TOKEN_ENV = 'HOPWATCH_E2E_TOKEN';
export const LOGIN_URL_ENV = 'HOPWATCH_E2E_LOGIN_URL';
export const STORAGE_STATE = join(tmpdir(), 'hopwatch-e2e-storage.json');
export const e2eToken = () => process.env[TOKEN_ENV] ?? '';
/** Headers for the tests' own requests to the hub (Node's fetch is not the signed-in browser). */
export const authHeaders = (token = e2eToken()) => ({ authorization: `Bearer ${token}`, 'x-hopwatch': '1' });

/** Set by global-setup when the suite cannot run here (not root): every spec skips with it. */
export const SKIP_ENV = 'HOPWATCH_E2E_SKIP';
export const skipReason = () => process.env[SKIP_ENV] ?? '';
/**
 * HOPWATCH_E2E_OVS=1: the run is against `hopwatch start --lab --ovs` (issue 11) and plays only
 * ovs.spec.ts; the other specs want the Linux-bridge lab (scripts/test.sh runs both passes).
 */
export const OVS_MODE = process.env.HOPWATCH_E2E_OVS === '1';

const execFileP = promisify(execFile);

/** `node bin/hopwatch.mjs ARGS…` to completion; throws with its output on a non-zero exit. */
export async function hopwatch(args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await execFileP(process.execPath, ['bin/hopwatch.mjs', ...args], {
    cwd: ROOT,
    timeout: timeoutMs,
    // `replay export|import|list --hub` authenticate with it.
    env: { ...process.env, HOPWATCH_TOKEN: e2eToken() },
  });
  return stdout;
}

/** A long-running `hopwatch …` (traffic); returns a stopper that waits for it to exit. */
export function hopwatchBackground(args: string[]): () => Promise<void> {
  const child = spawn(process.execPath, ['bin/hopwatch.mjs', ...args], { cwd: ROOT, stdio: 'ignore' });
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGINT');
    });
}

/**
 * The lab's eight-hop inbound path and the seed's hop, from the lab itself (one definition: the
 * e2e drives that lab through `hopwatch`, so it must follow it if the lab ever changes).
 */
export { LAB_PATH, SEED_HOP } from '../apps/lab/src/topology.ts';

/** An interface node on the map, by the DOM contract's `data-hop`. */
export const hop = (page: Page, id: string) => page.locator(`[data-hop="${id}"]`);

/** Types a path into the from/to boxes as an operator does (Enter in each). */
export async function pickPath(page: Page, from: string, to: string): Promise<void> {
  for (const [box, id] of [
    ['path-from', from],
    ['path-to', to],
  ] as const) {
    await page.getByTestId(box).fill(id);
    await page.getByTestId(box).press('Enter');
  }
}
