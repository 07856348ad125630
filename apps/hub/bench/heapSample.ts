/**
 * node --import tsx apps/hub/bench/heapSample.ts PORT [SECONDS] [OUT.heapprofile]
 *
 * What outlives the young generation in a hub process started with `--inspect=127.0.0.1:PORT`
 * (bench:fleet: BENCH_NODE_FLAGS=--inspect=127.0.0.1:9339; the reader replica, started later,
 * finds the port taken and runs without): a sampling heap profile over SECONDS (default 25) that
 * keeps the objects a mark-compact collected but not those a scavenge freed, i.e. what was
 * copied into the old generation and (mostly) died there. Prints the bytes by allocation site
 * and by 4-frame stack; OUT gets the profile for Chrome's DevTools (Memory tab, load). Issue 12
 * used it to find what made a replica's old generation fill (docs/fleet.md § Sizing).
 */
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}

const [port, secondsArg, out] = process.argv.slice(2);
if (!port) {
  console.error('usage: heapSample.ts PORT [SECONDS] [OUT.heapprofile]');
  process.exit(2);
}
const seconds = Number(secondsArg ?? 25);
const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
  webSocketDebuggerUrl: string;
}[];
const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
await new Promise((r) => ws.once('open', r));
let id = 0;
const waiting = new Map<number, (m: { result?: unknown }) => void>();
ws.on('message', (d) => {
  const m = JSON.parse(d.toString()) as { id?: number; result?: unknown };
  if (m.id !== undefined) waiting.get(m.id)?.(m);
});
const call = (method: string, params: object = {}) =>
  new Promise<{ result?: unknown }>((r) => {
    id += 1;
    waiting.set(id, r);
    ws.send(JSON.stringify({ id, method, params }));
  });

await call('HeapProfiler.enable');
await call('HeapProfiler.startSampling', {
  samplingInterval: 32768,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: false,
});
await new Promise((r) => setTimeout(r, seconds * 1000));
const { profile } = (await call('HeapProfiler.stopSampling')).result as { profile: { head: ProfileNode } };
ws.close();
if (out) writeFileSync(out, JSON.stringify(profile));

const bySite = new Map<string, number>();
const byStack = new Map<string, number>();
const walk = (n: ProfileNode, path: string[]) => {
  const f = n.callFrame;
  const name = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  const here = [...path, name];
  if (n.selfSize > 0) {
    bySite.set(name, (bySite.get(name) ?? 0) + n.selfSize);
    const k = here.slice(-4).join(' < ');
    byStack.set(k, (byStack.get(k) ?? 0) + n.selfSize);
  }
  for (const c of n.children) walk(c, here);
};
walk(profile.head, []);
const mb = (b: number) => `${(b / 2 ** 20 / seconds).toFixed(2).padStart(7)} MB/s`;
const total = [...bySite.values()].reduce((a, b) => a + b, 0);
console.log(`sampled, outliving the young generation: ${mb(total)} over ${seconds} s`);
for (const [k, b] of [...bySite].sort((x, y) => y[1] - x[1]).slice(0, 25)) console.log(`${mb(b)}  ${k}`);
console.log('by stack (4 frames):');
for (const [k, b] of [...byStack].sort((x, y) => y[1] - x[1]).slice(0, 25)) console.log(`${mb(b)}  ${k}`);
