/**
 * Screenshots for docs/ from the fake hub (no root, no lab needed):
 * - docs/big-host.png: a 1000-interface network node (synthetic, one folded router losing
 *   packets) as first seen: folded namespaces in a grid, the losing one boxed beside the spine;
 * - docs/path-mode.png: the lab's inbound path in path mode with the backlog fault, the
 *   waterfall open under it; docs/waterfall.png: the waterfall alone;
 * - docs/export.png: what "export PNG" saves for the ticket.
 * The lab screenshots with real traffic come from e2e/docs.spec.ts.
 *
 *   node --import tsx apps/web/bench/shots.ts   (after npm run build -w @hopwatch/web)
 */
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { DIST, scenario, startFakeHub } from './fakeHub.ts';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.ts';

const DOCS = join(DIST, '..', '..', '..', 'docs');
const SEED_HOP = 'hwlab-qrouter-a1/qg-a1';
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

async function bigHost(page: Page) {
  const hub = await startFakeHub({ port: 7178, scenario: scenario('synthetic:1000:loss'), autoTick: true });
  try {
    await page.goto(`${hub.url}/?host=synthetic-1000`);
    await page.locator('[data-hop="qrouter-0042/qg"][data-status="loss"]').waitFor({ timeout: 30_000 });
    // A fresh load frames what is known when the map appears: the grid and the loss.
    await page.reload();
    await page.locator('[data-hop="qrouter-0042/qg"][data-status="loss"]').waitFor({ timeout: 30_000 });
    // The whole grid, on a big screen so its labels stay readable.
    await page.setViewportSize({ width: 2200, height: 1300 });
    await page.getByTestId('map').locator('.react-flow__controls-fitview').click();
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(DOCS, 'big-host.png') });
    await page.setViewportSize({ width: 1600, height: 900 });
    console.log('wrote docs/big-host.png');
  } finally {
    await hub.close();
  }
}

async function pathMode(page: Page) {
  const hub = await startFakeHub({ port: 7179, scenario: scenario('lab-backlog'), autoTick: true });
  try {
    const q = `host=lab-host&from=hwlab-up/wan0&to=${SEED_HOP}&sel=${SEED_HOP}&wf=1`;
    await page.goto(`${hub.url}/?${q}`);
    await page.locator(`[data-hop="${SEED_HOP}"][data-status="loss"]`).waitFor({ timeout: 30_000 });
    await page.getByTestId('waterfall').locator('[data-wf="drop"]').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(1500);
    await page.screenshot({ path: join(DOCS, 'path-mode.png') });
    await page.getByTestId('waterfall').screenshot({ path: join(DOCS, 'waterfall.png') });
    const download = page.waitForEvent('download');
    await page.getByTestId('export-png').click();
    await (await download).saveAs(join(DOCS, 'export.png'));
    console.log('wrote docs/path-mode.png, docs/waterfall.png, docs/export.png');
  } finally {
    await hub.close();
  }
}

try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  const only = process.argv[2];
  if (only === undefined || only === 'path') await pathMode(page);
  if (only === undefined || only === 'big') await bigHost(page);
} finally {
  await browser.close();
}
