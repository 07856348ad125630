import { chromium } from 'playwright-core';
import { scenario, startFakeHub } from './fakeHub.ts';
const hub = await startFakeHub({ port: 7189, scenario: scenario('synthetic:3000'), autoTick: true });
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
await page.goto(`${hub.url}/?host=synthetic-3000`);
await page.locator('.react-flow__node').first().waitFor();
await page.waitForTimeout(3000);
await page.getByTestId('path-from').fill('eno1');
await page.getByTestId('path-from').press('Enter');
await page.getByTestId('path-to').fill('qrouter-0150/qg');
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
await cdp.send('Profiler.start');
await page.evaluate(() => {
  (window as any).__t0 = performance.now();
});
await page.getByTestId('path-to').press('Enter');
const h = await page.waitForFunction(
  () => {
    const map = document.querySelector('[data-testid="map"]');
    const hops = Array.from(document.querySelectorAll<HTMLElement>('[data-path-index]'));
    if (map?.getAttribute('data-mode') !== 'path' || hops.length < 2) return false;
    return {
      ms: performance.now() - (window as any).__t0,
      marks: performance
        .getEntriesByType('mark')
        .filter((m) => m.startTime > (window as any).__t0)
        .map(
          (m) =>
            `${m.name}@${(m.startTime - (window as any).__t0).toFixed(0)} ${JSON.stringify((m as PerformanceMark).detail)}`,
        ),
    };
  },
  null,
  { polling: 'raf', timeout: 60000 },
);
console.log(JSON.stringify(await h.jsonValue(), null, 1));
const { profile } = await cdp.send('Profiler.stop');
type N = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
const nodes = profile.nodes as N[];
const byId = new Map(nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfT = new Map<number, number>();
profile.samples!.forEach((id, i) => selfT.set(id, (selfT.get(id) ?? 0) + (profile.timeDeltas![i] ?? 0)));
const total = new Map<string, number>();
const key = (n: N) =>
  `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
for (const [id, us] of selfT) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const k = key(byId.get(cur)!);
    if (seen.has(k)) continue;
    seen.add(k);
    total.set(k, (total.get(k) ?? 0) + us);
  }
}
for (const [k, us] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 45))
  console.log((us / 1000).toFixed(0).padStart(6), k);
await browser.close();
await hub.close();
