/**
 * docs/big-host.png: a 1000-interface network node (fake hub, synthetic topology with one folded
 * router losing packets) as the operator first sees it. The lab screenshots come from the real
 * lab (e2e/docs.spec.ts); no lab has a thousand interfaces.
 *
 *   node --import tsx apps/web/bench/shots.ts   (after npm run build -w @hopwatch/web)
 */
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { DIST, scenario, startFakeHub } from './fakeHub.ts';

const hub = await startFakeHub({ port: 7178, scenario: scenario('synthetic:1000:loss'), autoTick: true });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--no-first-run',
    '--disable-sync',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  await page.goto(`${hub.url}/?host=synthetic-1000`);
  await page.locator('[data-hop="qrouter-0042/qg"][data-status="loss"]').waitFor({ timeout: 30_000 });
  // A fresh load now frames the loss (the first view follows what is known when the map appears).
  await page.reload();
  await page.locator('[data-hop="qrouter-0042/qg"][data-status="loss"]').waitFor({ timeout: 30_000 });
  await page.waitForTimeout(1500);
  await page.screenshot({ path: join(DIST, '..', '..', '..', 'docs', 'big-host.png') });
  console.log('wrote docs/big-host.png');
} finally {
  await browser.close();
  await hub.close();
}
