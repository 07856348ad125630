/**
 * First render only, repeated, alternating builds: the figure a shared, loaded machine makes
 * noisy, measured so that two builds see the same load (run N of each, interleaved).
 *
 *   node --import tsx apps/web/bench/first.ts [--runs 5] [--ifaces 3000] [DIST ...]
 *
 * Each DIST is a built apps/web/dist (default: apps/web/dist); e.g. the build before a change,
 * copied aside, and the build after it. Prints each run's first picture (bench/firstPicture.ts:
 * framed, judged, painted) with when each of its conditions first held, then the medians.
 */
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.ts';
import { DIST, scenario, startFakeHub } from './fakeHub.ts';
import { FIRST_PICTURE_SCRIPT, type FirstPicture, firstPictureOf } from './firstPicture.ts';

const args = process.argv.slice(2);
const opt = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  args.splice(i, 2);
  return v;
};
const RUNS = opt('runs', 5);
const IFACES = opt('ifaces', 3000);
const dists = args.length > 0 ? args : [DIST];
const PORT = 7175;

const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
const runs = new Map<string, FirstPicture[]>(dists.map((d) => [d, []]));
try {
  for (let i = 0; i < RUNS; i++)
    for (const dist of dists) {
      const hub = await startFakeHub({
        port: PORT,
        scenario: scenario(`synthetic:${IFACES}`),
        autoTick: false,
        dist,
      });
      // A fresh context per run: nothing cached from the previous one.
      const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
      try {
        const page = await context.newPage();
        await page.addInitScript(FIRST_PICTURE_SCRIPT);
        await page.goto(`${hub.url}/?host=synthetic-${IFACES}`);
        const first = (await (
          await page.waitForFunction(firstPictureOf, null, { timeout: 60_000 })
        ).jsonValue()) as FirstPicture;
        runs.get(dist)!.push(first);
        const steps = Object.entries(first.steps).map(([k, t]) => `${k} ${t}`);
        console.log(`${dist}: ${first.t.toFixed(0)} ms (${steps.join(', ')})`);
      } finally {
        await context.close();
        await hub.close();
      }
    }
} finally {
  await browser.close();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
for (const [dist, list] of runs) {
  const step = (k: string) => median(list.map((f) => f.steps[k] ?? NaN)).toFixed(0);
  console.log(
    `median ${dist}: first render ${median(list.map((f) => f.t)).toFixed(0)} ms at ${IFACES} interfaces ` +
      `(socket made ${step('socket')}, open ${step('open')}, topology in ${step('topology')}, first sample in ${step('sample')}, nodes ${step('nodes')}, judged ${step('judged')}, ` +
      `framed ${step('framed')}) over ${list.length} runs`,
  );
}
