/**
 * bench:replay — how fast a moment of a big recording comes back, and what an export costs.
 *
 *   npm run bench:replay [-- --ifaces 1000 --hours 24 --seeks 40 --browser 1 --fresh 0]
 *
 * 1. Synthesises `hours` of one host with `ifaces` interfaces at 1 Hz directly into a recording
 *    file (cached in the temp dir; --fresh 1 rebuilds it).
 * 2. Starts a hub on that file and times random seeks through the API, request to last byte,
 *    exactly as the web app asks for them (the judgement window's samples, then 10 s pages),
 *    the 24 h heat strip and a jump to the loss.
 * 3. In Chromium (when the web app is built and playwright-core is installed): clicks the heat
 *    strip at random places and times click → the judged moment painted (data-shown-t matches
 *    the playhead, then two animation frames).
 * 4. Exports one hour and prints the size per interface-hour.
 */
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, startHub } from '../src/index.ts';
import { exportStream } from '../src/replay/export.ts';
import { openStore } from '../src/store/store.ts';
import { benchArgs } from './args.ts';
import { INCIDENT_AT_MS, synthesize } from './replaySynth.ts';

const a = benchArgs({ ifaces: 1000, hours: 24, active: 0.5, seeks: 40, browser: 1, fresh: 0 });
const HOST = 'bench-node';
/** What the web app fetches per seek (replay/buffer.ts PAGE_MS). */
const PAGE_MS = 10_000;
const WINDOW_MS = 6000;
const TARGET_MS = 200;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(0)} ms, p95 ${pct(xs, 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

function recordingFile(): { path: string; start: number; end: number } {
  const path = join(tmpdir(), `hopwatch-bench-replay-${a.ifaces}if-${a.hours}h-${a.active}.db`);
  const metaPath = `${path}.json`;
  if (a.fresh === 0 && existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as { start: number; end: number };
    console.log(`recording: reusing ${path} (${(statSync(path).size / 1024 ** 2).toFixed(0)} MiB)`);
    return { path, ...meta };
  }
  for (const f of [path, `${path}-wal`, `${path}-shm`, metaPath]) rmSync(f, { force: true });
  const end = Math.floor(Date.now() / 1000) * 1000 - 60_000;
  const t0 = performance.now();
  const n = synthesize(
    { path, host: HOST, ifaces: a.ifaces, active: a.active, hours: a.hours, end },
    (d, total) => {
      if (d % 7200 === 0) process.stdout.write(`\r  synthesising ${((d / total) * 100).toFixed(0)} %`);
    },
  );
  const start = end - a.hours * 3600_000;
  writeFileSync(metaPath, JSON.stringify({ start, end }));
  console.log(
    `\rrecording: ${n} samples × ${a.ifaces} interfaces (${a.active * 100} % active) in ` +
      `${((performance.now() - t0) / 1000).toFixed(0)} s, ${(statSync(path).size / 1024 ** 2).toFixed(0)} MiB`,
  );
  return { path, start, end };
}

/** The bench hub's operator token (set once it starts): the API needs it. */
let auth: Record<string, string> = {};

async function timed(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: auth });
  const body = await res.arrayBuffer();
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return { ms: performance.now() - t0, bytes: body.byteLength };
}

async function apiSeeks(base: string, start: number, end: number): Promise<void> {
  const times: number[] = [];
  const pageTimes: number[] = [];
  let bytes = 0;
  let pageBytes = 0;
  const rec = `${base}/api/hosts/${HOST}/recording`;
  await timed(`${rec}?start=${start}&end=${start + PAGE_MS}`); // warm the statement cache
  for (let i = 0; i < a.seeks; i++) {
    const t = Math.round(start + 60_000 + Math.random() * (end - start - 120_000));
    // What a seek waits for: the judgement window alone (replay/controller.ts ensure).
    const w = await timed(`${rec}?start=${t - WINDOW_MS}&end=${t}`);
    times.push(w.ms);
    bytes += w.bytes;
    // What follows in the background, a page at a time.
    const p = Math.floor(t / PAGE_MS) * PAGE_MS;
    const page = await timed(`${rec}?start=${p}&end=${p + PAGE_MS - 1}`);
    pageTimes.push(page.ms);
    pageBytes += page.bytes;
  }
  console.log(`API seek (request → last byte of the judgement window's samples), ${a.seeks} random seeks:`);
  console.log(
    `  ${fmt(times)}; ${(bytes / a.seeks / 1024).toFixed(0)} KiB JSON per seek  (target < ${TARGET_MS} ms)`,
  );
  console.log(
    `  then a ${PAGE_MS / 1000} s page (background): ${fmt(pageTimes)}; ${(pageBytes / a.seeks / 1024).toFixed(0)} KiB`,
  );
  const strip = await timed(`${base}/api/hosts/${HOST}/timeline?start=${start}&end=${end}&buckets=300`);
  // Jump to the loss as the web app does it: the 24 h bucket holding the incident, refined in
  // rounds of at most 20 sub-buckets down to 1 s (replay/controller.ts REFINE_BUCKETS).
  const bucketMs = Math.ceil((end - start) / 300);
  const slack = (ms: number) => (ms >= 10_000 ? 10_000 : 0);
  let lo = start + Math.floor(INCIDENT_AT_MS / bucketMs) * bucketMs - slack(bucketMs);
  let hi = lo + slack(bucketMs) + bucketMs;
  const j0 = performance.now();
  let rounds = 0;
  while (hi - lo > 1000) {
    const n = Math.min(20, Math.ceil((hi - lo) / 1000));
    const res = await fetch(`${base}/api/hosts/${HOST}/timeline?start=${lo}&end=${hi}&buckets=${n}`, {
      headers: auth,
    });
    const tl = (await res.json()) as {
      bucketMs: number;
      buckets: { start: number; end: number; worst: string | null }[];
    };
    rounds += 1;
    const hit = tl.buckets.find((b) => b.worst === 'loss');
    if (hit === undefined) break;
    lo = hit.start - slack(tl.bucketMs);
    hi = hit.end;
  }
  console.log(
    `heat strip: ${a.hours} h in 300 buckets ${strip.ms.toFixed(0)} ms; jump to the loss refined to ` +
      `${((hi - lo) / 1000).toFixed(1)} s in ${rounds} rounds ${(performance.now() - j0).toFixed(0)} ms ` +
      `(found ${new Date(hi).toISOString()}, incident from ${new Date(start + INCIDENT_AT_MS).toISOString()})`,
  );
}

interface Pw {
  chromium: { launch(o: object): Promise<PwBrowser> };
}
interface PwBrowser {
  newPage(o: object): Promise<PwPage>;
  close(): Promise<void>;
}
interface PwPage {
  goto(url: string): Promise<unknown>;
  waitForSelector(sel: string, o?: object): Promise<unknown>;
  evaluate<T>(fn: string): Promise<T>;
  waitForFunction(fn: string, arg: unknown, o: object): Promise<unknown>;
  mouse: { click(x: number, y: number): Promise<void> };
  locator(sel: string): {
    boundingBox(): Promise<{ x: number; y: number; width: number; height: number } | null>;
  };
}

/** In the page, polled every animation frame: the clicked moment is judged and on screen. */
const SHOWN = `(prev) => {
  const tl = document.querySelector('[data-testid="timeline"]');
  const ph = Number(tl.dataset.playhead);
  return String(ph) !== prev && Number(tl.dataset.shownT) === Math.floor(ph / 1000) * 1000;
}`;
const PLAYHEAD = `document.querySelector('[data-testid="timeline"]').dataset.playhead`;

async function browserSeeks(base: string, start: number): Promise<void> {
  let pw: Pw;
  try {
    pw = (await import('playwright-core' as string)) as Pw;
  } catch {
    console.log('browser: skipped (playwright-core is not installed)');
    return;
  }
  const b = await pw.chromium.launch({
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
    const page = await b.newPage({ viewport: { width: 1600, height: 900 } });
    const t0 = performance.now();
    // The token signs the page in (the app takes it out of the URL at once).
    const token = auth.authorization?.replace('Bearer ', '') ?? '';
    await page.goto(
      `${base}/?host=${HOST}&t=${new Date(start + INCIDENT_AT_MS + 30_000).toISOString()}&token=${token}`,
    );
    await page.waitForSelector('[data-testid="timeline"][data-shown-t]:not([data-shown-t=""])', {
      timeout: 120_000,
    });
    await page.waitForSelector('[data-testid="timeline-bucket"]', { timeout: 60_000 });
    console.log(
      `browser: first load of the ${a.ifaces}-interface map at a replayed moment ${(performance.now() - t0).toFixed(0)} ms`,
    );
    const box = await page.locator('[data-testid="timeline-strip"]').boundingBox();
    if (box === null) throw new Error('no heat strip');
    const times: number[] = [];
    for (let i = 0; i < Math.min(a.seeks, 20); i++) {
      const prev = await page.evaluate<string>(PLAYHEAD);
      const x = box.x + 5 + Math.random() * (box.width - 10);
      const t0 = performance.now();
      await page.mouse.click(x, box.y + box.height / 2);
      await page.waitForFunction(SHOWN, prev, { polling: 'raf', timeout: 10_000 });
      times.push(performance.now() - t0);
    }
    console.log(
      'browser seek (click on the strip → judged moment on screen, polled per animation frame by the ' +
        `driver), ${times.length} seeks: ${fmt(times)}  (target < ${TARGET_MS} ms)`,
    );
  } finally {
    await b.close();
  }
}

async function exportSize(path: string, start: number): Promise<void> {
  const store = openStore(path, { readonly: true });
  try {
    const t0 = performance.now();
    let bytes = 0;
    for await (const c of exportStream(store, { hosts: [HOST], start, end: start + 3600_000 - 1, marks: [] }))
      bytes += (c as Buffer).length;
    const ms = performance.now() - t0;
    const perIfaceHour = bytes / a.ifaces;
    console.log(
      `export: 1 h of ${a.ifaces} interfaces (${a.active * 100} % active) = ${(bytes / 1024 ** 2).toFixed(1)} MiB ` +
        `in ${(ms / 1000).toFixed(1)} s → ${(perIfaceHour / 1024).toFixed(1)} KiB per interface-hour ` +
        `(${(perIfaceHour / a.active / 1024).toFixed(1)} KiB per active interface-hour)`,
    );
    const stored = statSync(path).size / (a.hours * a.ifaces);
    console.log(`  for comparison, the recording file: ${(stored / 1024).toFixed(1)} KiB per interface-hour`);
  } finally {
    store.close();
  }
}

const rec = recordingFile();
const hub = await startHub({
  port: 0,
  db: rec.path,
  agentToken: 'bench-no-agents',
  retentionMs: 100 * 365 * 24 * 3600_000,
  retentionBytes: Number.MAX_SAFE_INTEGER,
  log: silentLogger,
});
auth = { authorization: `Bearer ${hub.auth.access!.token}` };
try {
  await apiSeeks(hub.url, rec.start, rec.end);
  if (a.browser !== 0) await browserSeeks(hub.url, rec.start);
} finally {
  await hub.close();
}
await exportSize(rec.path, rec.start);
