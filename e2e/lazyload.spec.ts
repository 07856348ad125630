import { expect, type Page, test } from '@playwright/test';
import { hop, hopwatchBackground, pickPath, SEED_HOP, skipReason } from './harness.ts';

/**
 * The web app loads what the first picture does not need later, as chunks of its own (apps/web
 * README § Speed): replay and its recordings (zod inside), the hop detail, the waterfall, the PNG
 * export, and the judge itself when the browser has no Web Worker. Each must load from the real
 * hub under its Content-Security-Policy (scripts from self, no eval) with nothing reported.
 */
test.skip(() => skipReason() !== '', skipReason());

declare global {
  interface Window {
    cspViolations?: string[];
  }
}

/** CSP violations and page errors, as the page reports them. */
async function watch(page: Page): Promise<{ errors: string[]; console: string[] }> {
  const seen = { errors: [] as string[], console: [] as string[] };
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('console', (m) => seen.console.push(m.text()));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.cspViolations ??= [];
      window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return seen;
}

test('LOAD2: replay, the hop detail, the waterfall and the PNG export load later, under the CSP', async ({
  page,
}) => {
  const seen = await watch(page);
  await page.goto('/');
  await expect(hop(page, SEED_HOP)).toBeVisible();
  // Replay comes after the first picture; the recordings control comes with it.
  await expect(page.getByTestId('recordings')).toBeVisible();
  await pickPath(page, 'hwlab-up/wan0', SEED_HOP);
  await expect(page.getByTestId('map')).toHaveAttribute('data-mode', 'path');
  await page.getByTestId('waterfall-toggle').click();
  await expect(page.getByTestId('waterfall').locator('[data-wf-hop]').first()).toBeVisible();
  await hop(page, SEED_HOP).click();
  await expect(page.getByTestId('hop-detail')).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByTestId('export-png').click();
  expect((await download).suggestedFilename()).toMatch(/\.png$/);
  expect(await page.evaluate(() => window.cspViolations ?? [])).toEqual([]);
  expect(seen.console.filter((t) => /Content[- ]Security[- ]Policy/i.test(t))).toEqual([]);
  expect(seen.errors).toEqual([]);
});

test('LOAD3: a browser without Web Workers judges in place, with the judge loaded for it', async ({
  page,
}) => {
  const seen = await watch(page);
  await page.addInitScript(() => Object.defineProperty(window, 'Worker', { value: undefined }));
  const stopTraffic = hopwatchBackground(['lab', 'traffic', '--seconds', '0']);
  try {
    await page.goto('/');
    await expect(hop(page, 'hwlab-node/br-int')).toHaveAttribute('data-status', 'ok', { timeout: 20_000 });
  } finally {
    await stopTraffic();
  }
  expect(await page.evaluate(() => window.cspViolations ?? [])).toEqual([]);
  expect(seen.errors).toEqual([]);
});
