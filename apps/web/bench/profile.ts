/**
 * Where the web app's time goes, per thread and per function: a Chromium trace (with V8's sampling
 * profiler) of one phase of the bench scenario, summarised. The bench says how long; this says why.
 *
 *   node --import tsx apps/web/bench/profile.ts [--ifaces 3000] [--phase load|tick|path] [--top 25]
 *
 * Build the app first (`npm run -s build`; `npx vite build --minify false` in apps/web for
 * readable function names). Prints, per thread (main, judge worker, layout worker), the busy
 * time of top-level tasks and the functions with the most self time.
 *
 * More, by environment: EVENTS=1 the thread (CPU) time of each timeline event kind (what a busy
 * machine does not inflate; the sampler's times are wall clock, and a thread waiting for a core
 * shows as time in whatever it was running); INCLUSIVE=1 each function with its callees;
 * CALLERS=fnA,fnB the stacks that spent those functions' self time; NO_SAMPLER=1 no V8 sampler
 * (cheaper tracing); TRACE_OUT=FILE keeps the raw trace.
 */
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.ts';
import { scenario, startFakeHub } from './fakeHub.ts';
import { FIRST_PICTURE_SCRIPT, type FirstPicture, firstPictureOf } from './firstPicture.ts';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const IFACES = Number(arg('ifaces', '3000'));
const PHASE = arg('phase', 'load');
const TOP = Number(arg('top', '25'));

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  /** Thread (CPU) time of a complete event, µs: what a loaded machine does not inflate. */
  tdur?: number;
  id?: string;
  args?: {
    name?: string;
    data?: {
      cpuProfile?: {
        nodes?: {
          id: number;
          parent?: number;
          callFrame: { functionName: string; url?: string; lineNumber: number };
        }[];
        samples?: number[];
      };
      timeDeltas?: number[];
    };
  };
}

function summarise(events: TraceEvent[]): void {
  const threadName = new Map<string, string>();
  for (const e of events)
    if (e.name === 'thread_name') threadName.set(`${e.pid}:${e.tid}`, e.args?.name ?? '?');
  // Busy time: top-level RunTask slices per thread.
  const busy = new Map<string, { ms: number; cpu: number; n: number; longest: number }>();
  for (const e of events) {
    if (e.ph !== 'X' || e.name !== 'RunTask' || e.dur === undefined) continue;
    const k = `${e.pid}:${e.tid}`;
    const b = busy.get(k) ?? { ms: 0, cpu: 0, n: 0, longest: 0 };
    b.ms += e.dur / 1000;
    b.cpu += (e.tdur ?? 0) / 1000;
    b.n++;
    b.longest = Math.max(b.longest, e.dur / 1000);
    busy.set(k, b);
  }
  // Self time per function from the sampling profiler's chunks (one profile per thread), each
  // sample kept with its time so long tasks can be explained one by one.
  const frames = new Map<string, Map<number, string>>();
  const parents = new Map<string, Map<number, number>>();
  // CALLERS=fnA,fnB: the stacks (four frames up) that spent those functions' self time.
  const callersOf = (process.env.CALLERS ?? '').split(',').filter(Boolean);
  const stacks = new Map<string, number>();
  // Inclusive time per function (every frame on a sample's stack), per thread.
  const inclusive = new Map<string, Map<string, number>>();
  const self = new Map<string, Map<string, number>>();
  const samples = new Map<string, { ts: number; fn: string; ms: number }[]>();
  const profileOf = new Map<string, { thread: string; ts: number }>();
  for (const e of events) {
    if (e.name === 'Profile')
      profileOf.set(`${e.pid}:${e.id}`, {
        thread: `${e.pid}:${e.tid}`,
        ts: (e.args?.data as { startTime?: number } | undefined)?.startTime ?? e.ts,
      });
  }
  for (const e of events) {
    if (e.name !== 'ProfileChunk') continue;
    const p = profileOf.get(`${e.pid}:${e.id}`) ?? { thread: `${e.pid}:${e.tid}`, ts: e.ts };
    const thread = p.thread;
    const prof = e.args?.data?.cpuProfile;
    const deltas = e.args?.data?.timeDeltas ?? [];
    const names = frames.get(thread) ?? new Map<number, string>();
    frames.set(thread, names);
    const up = parents.get(thread) ?? new Map<number, number>();
    parents.set(thread, up);
    for (const n of prof?.nodes ?? []) {
      const url = (n.callFrame.url ?? '').split('/').at(-1) ?? '';
      names.set(n.id, `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`);
      if (n.parent !== undefined) up.set(n.id, n.parent);
    }
    const mine = self.get(thread) ?? new Map<string, number>();
    self.set(thread, mine);
    const list = samples.get(thread) ?? [];
    samples.set(thread, list);
    (prof?.samples ?? []).forEach((id, i) => {
      const name = names.get(id) ?? `#${id}`;
      const ms = (deltas[i] ?? 0) / 1000;
      p.ts += deltas[i] ?? 0;
      mine.set(name, (mine.get(name) ?? 0) + ms);
      const incl = inclusive.get(thread) ?? new Map<string, number>();
      inclusive.set(thread, incl);
      const seen = new Set<string>([name]);
      for (let at = up.get(id); at !== undefined; at = up.get(at)) seen.add(names.get(at) ?? `#${at}`);
      for (const f of seen) incl.set(f, (incl.get(f) ?? 0) + ms);
      if (callersOf.some((c) => name.startsWith(`${c} `))) {
        const chain: string[] = [];
        for (let at = up.get(id); at !== undefined && chain.length < 4; at = up.get(at))
          chain.push(names.get(at) ?? `#${at}`);
        const k = `${thread} ${name} <- ${chain.join(' <- ')}`;
        stacks.set(k, (stacks.get(k) ?? 0) + ms);
      }
      list.push({ ts: p.ts, fn: name, ms });
    });
  }
  const t0 = Math.min(...events.filter((e) => e.ph === 'X' && e.name === 'RunTask').map((e) => e.ts));
  const longTasks = (thread: string) => {
    const list = samples.get(thread) ?? [];
    for (const e of events) {
      if (e.ph !== 'X' || e.name !== 'RunTask' || `${e.pid}:${e.tid}` !== thread || (e.dur ?? 0) < 15_000)
        continue;
      const end = e.ts + (e.dur ?? 0);
      const by = new Map<string, number>();
      for (const x of list)
        if (x.ts >= e.ts && x.ts <= end && !x.fn.startsWith('(idle)'))
          by.set(x.fn, (by.get(x.fn) ?? 0) + x.ms);
      const top = [...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TASK_TOP ?? 6));
      // What the task was: its first-level timeline events (a message, a timer, a script, a frame).
      const kids = events
        .filter(
          (k) =>
            k !== e &&
            k.ph === 'X' &&
            `${k.pid}:${k.tid}` === thread &&
            k.ts >= e.ts &&
            k.ts < end &&
            (k.dur ?? 0) > 2000 &&
            /EventDispatch|FunctionCall|TimerFire|EvaluateScript|v8.compile|ParseHTML|FireAnimationFrame|UpdateLayoutTree|Layout|Paint|MajorGC|MinorGC|v8.run|HandlePostMessage|ParseAuthorStyleSheet|XHRReadyStateChange|RunMicrotasks/.test(
              k.name,
            ),
        )
        .slice(0, 5)
        .map((k) => {
          const d = k.args?.data as { type?: string; url?: string; functionName?: string } | undefined;
          return `${k.name}${d?.type ? `(${d.type})` : ''}${d?.functionName ? `(${d.functionName})` : ''}${d?.url ? `(${d.url.split('/').at(-1)})` : ''} ${((k.dur ?? 0) / 1000).toFixed(0)}`;
        });
      console.log(`    [${kids.join('; ')}]`);
      console.log(
        `  task at +${((e.ts - t0) / 1000).toFixed(0)} ms: ${((e.dur ?? 0) / 1000).toFixed(1)} ms — ${top.map(([f, ms]) => `${f} ${ms.toFixed(0)}`).join(', ')}`,
      );
    }
  };
  // The page's renderer: the one running the app's workers (not the browser's own start page).
  const appPids = new Set(
    [...threadName].filter(([, n]) => /DedicatedWorker/.test(n)).map(([k]) => k.split(':')[0]!),
  );
  const threads = new Set([...busy.keys(), ...self.keys()]);
  for (const t of threads) {
    const name = threadName.get(t) ?? t;
    if (!/CrRendererMain|Worker/i.test(name) || !appPids.has(t.split(':')[0]!)) continue;
    const b = busy.get(t);
    console.log(
      `\n== ${name} (${t}): tasks ${b?.ms.toFixed(1) ?? 0} ms (${b?.cpu.toFixed(1) ?? 0} ms CPU) in ${b?.n ?? 0}, longest ${b?.longest.toFixed(1) ?? 0} ms`,
    );
    const top = [...(self.get(t) ?? new Map<string, number>()).entries()]
      .filter(([n]) => !n.startsWith('(idle)') && !n.startsWith('(program)'))
      .sort((a, b2) => b2[1] - a[1])
      .slice(0, TOP);
    for (const [fn, ms] of top) console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${fn}`);
    if (process.env.EVENTS) {
      // Thread (CPU) time per timeline event kind, inclusive: not inflated by waiting for a core.
      const kinds = new Map<string, { cpu: number; n: number }>();
      for (const e of events) {
        if (e.ph !== 'X' || `${e.pid}:${e.tid}` !== t || e.tdur === undefined) continue;
        const d = e.args?.data as
          | { type?: string; functionName?: string; url?: string; lineNumber?: number }
          | undefined;
        const at = d?.url ? ` ${d.url.split('/').at(-1)}:${d.lineNumber ?? ''}` : '';
        const k = `${e.name}${d?.type ? `(${d.type})` : ''}${d?.functionName ? `(${d.functionName})` : ''}${at}`;
        const x = kinds.get(k) ?? { cpu: 0, n: 0 };
        x.cpu += e.tdur / 1000;
        x.n += 1;
        kinds.set(k, x);
      }
      for (const [k, x] of [...kinds].sort((a, b2) => b2[1].cpu - a[1].cpu).slice(0, TOP))
        console.log(`  event ${x.cpu.toFixed(1).padStart(8)} ms CPU  in ${String(x.n).padStart(4)}  ${k}`);
    }
    if (process.env.INCLUSIVE) {
      const all = [...(inclusive.get(t) ?? new Map<string, number>()).entries()]
        .filter(([n]) => !/^\((idle|program|root)\)/.test(n))
        .sort((a, b2) => b2[1] - a[1])
        .slice(0, TOP);
      for (const [fn, ms] of all) console.log(`  incl ${ms.toFixed(1).padStart(8)} ms  ${fn}`);
    }
    longTasks(t);
    for (const [k, ms] of [...stacks].sort((a, b2) => b2[1] - a[1]))
      if (k.startsWith(`${t} `) && ms >= 0.2)
        console.log(`  caller ${ms.toFixed(1).padStart(6)} ms  ${k.slice(t.length + 1)}`);
  }
}

const CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8.execute',
  ...(process.env.NO_SAMPLER ? [] : ['disabled-by-default-v8.cpu_profiler']),
  'blink.user_timing',
  '__metadata',
].join(',');

const hub = await startFakeHub({
  port: 7174,
  scenario: scenario(`synthetic:${IFACES}`),
  autoTick: false,
});
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  // The bench's first picture: framed, judged, painted (bench/firstPicture.ts).
  await page.addInitScript(FIRST_PICTURE_SCRIPT);
  const ready = async () =>
    (await (
      await page.waitForFunction(firstPictureOf, null, { timeout: 60_000 })
    ).jsonValue()) as FirstPicture;
  if (PHASE === 'load') {
    await browser.startTracing(page, { categories: CATEGORIES.split(',') });
    const t0 = Date.now();
    await page.goto(`${hub.url}/?host=synthetic-${IFACES}`);
    const first = await ready();
    console.log(
      `first render (wall, from goto): ${Date.now() - t0} ms; in the page ${first.t.toFixed(0)} ms (${Object.entries(
        first.steps,
      )
        .map(([k, t]) => `${k} ${t}`)
        .join(', ')})`,
    );
  } else {
    await page.goto(`${hub.url}/?host=synthetic-${IFACES}`);
    await ready();
    for (let i = 0; i < 3; i++) {
      hub.tick();
      await page.waitForTimeout(400);
    }
    await browser.startTracing(page, { categories: CATEGORIES.split(',') });
    if (PHASE === 'tick') {
      for (let i = 0; i < 10; i++) {
        hub.tick();
        await page.waitForTimeout(400);
      }
    } else {
      const ns = `qrouter-${String(Math.floor(IFACES / 20)).padStart(4, '0')}`;
      await page.getByTestId('path-from').fill('eno1');
      await page.getByTestId('path-from').press('Enter');
      await page.getByTestId('path-to').fill(`${ns}/qg`);
      const t0 = Date.now();
      await page.getByTestId('path-to').press('Enter');
      await page.waitForFunction(
        () => document.querySelector('[data-testid="map"]')?.getAttribute('data-mode') === 'path',
        null,
        {
          polling: 'raf',
          timeout: 60_000,
        },
      );
      console.log(`path mode (wall): ${Date.now() - t0} ms`);
      await page.waitForTimeout(300);
    }
  }
  const buf = await browser.stopTracing();
  if (process.env.TRACE_OUT) (await import('node:fs')).writeFileSync(process.env.TRACE_OUT, buf);
  const parsed = JSON.parse(buf.toString()) as { traceEvents: TraceEvent[] } | TraceEvent[];
  summarise(Array.isArray(parsed) ? parsed : parsed.traceEvents);
} finally {
  await browser.close();
  await hub.close();
}
