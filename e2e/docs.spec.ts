import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { hop, hopwatch, hopwatchBackground, ROOT, SEED_HOP, skipReason } from './harness.ts';

/**
 * The screenshots in docs/, taken from the real lab with the seed's fault. Not a test of
 * behaviour (map.spec.ts is): runs only when asked, HOPWATCH_E2E_SCREENSHOTS=1.
 */
test.skip(() => skipReason() !== '', skipReason());
test.skip(
  () => process.env.HOPWATCH_E2E_SCREENSHOTS !== '1',
  'screenshots only with HOPWATCH_E2E_SCREENSHOTS=1',
);

const DOCS = join(ROOT, 'docs');
let stopTraffic: (() => Promise<void>) | null = null;
let faulted = false;

test.afterAll(async () => {
  await stopTraffic?.();
  if (faulted) await hopwatch(['lab', 'fault', 'none']);
});

test('docs screenshots: map, path with the red hop, findings, dark theme', async ({ page }) => {
  test.setTimeout(120_000);
  mkdirSync(DOCS, { recursive: true });
  // The whole lab at a readable zoom wants a full-HD screen; the rest is taken at 1600×900.
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  stopTraffic = hopwatchBackground(['lab', 'traffic', '--seconds', '0']);
  await page.goto('/');
  await expect(hop(page, 'hwlab-node/br-int')).toHaveAttribute('data-status', 'ok', { timeout: 20_000 });
  await page.reload();
  await expect(hop(page, 'hwlab-node/br-int')).toHaveAttribute('data-status', 'ok', { timeout: 20_000 });
  await page.screenshot({ path: join(DOCS, 'map.png') });
  await page.setViewportSize({ width: 1600, height: 900 });

  faulted = true;
  await hopwatch(['lab', 'fault', 'backlog']);
  await expect(hop(page, SEED_HOP)).toHaveAttribute('data-status', 'loss', { timeout: 10_000 });
  await page.getByTestId('path-from').fill('hwlab-up/wan0');
  await page.getByTestId('path-from').press('Enter');
  await page.getByTestId('path-to').fill(SEED_HOP);
  await page.getByTestId('path-to').press('Enter');
  await expect(page.locator('[data-path-index="8"]')).toHaveAttribute('data-hop', SEED_HOP);
  await hop(page, SEED_HOP).click();
  await expect(page).toHaveURL(/sel=/);
  // Open the link as a colleague would: the first view frames the path.
  await page.goto(page.url());
  await expect(hop(page, SEED_HOP)).toHaveAttribute('data-status', 'loss', { timeout: 10_000 });
  await expect(page.getByTestId('hop-detail')).toBeVisible();
  // Let the sparklines gather a few samples of the fault.
  await expect
    .poll(async () => (await page.getByTestId('hop-charts').locator('path').count()) > 0, { timeout: 10_000 })
    .toBe(true);
  await page.getByTestId('findings').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(DOCS, 'path-loss.png') });
  await page.getByTestId('findings').screenshot({ path: join(DOCS, 'findings.png') });
  await page.getByTestId('hop-detail').screenshot({ path: join(DOCS, 'hop-detail.png') });

  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveClass(/dark/);
  await page.screenshot({ path: join(DOCS, 'dark.png') });
  await page.getByTestId('theme-toggle').click();
});
