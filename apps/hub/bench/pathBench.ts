/**
 * npm run bench:path -w @hopwatch/hub -- [--hosts H] [--ifaces I] [--seconds S] [--warmup W]
 *
 * The hub's whole per-sample path in one process, without sockets: H hosts' sample frames
 * (the agent's text, 47.5 KiB at 1000 interfaces) read and checked as the agent's socket reads them
 * (ws/sampleScan.ts), handed to HubCore (the
 * recording's open chunk, the latest sample, the running totals), judged on the hub's cadence
 * (refreshJudgements twice a simulated second, nobody watching), and every 10 s each host's
 * chunk encoded, compressed and summarised into an in-memory SQLite recording. Time is
 * simulated: S seconds run as fast as the CPU allows. Prints CPU per agent-sample from
 * process.cpuUsage (every thread: the garbage collector's helpers too) and the main thread's
 * time in garbage collection, so a change on the hot path can be compared run against run
 * without the noise of sockets, NATS and simulators sharing the cores (bench:fleet, bench:hub).
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { decodeAgentMessage } from '@hopwatch/shared';
import { HubCore } from '../src/core.ts';
import { createOnceLogger, silentLogger } from '../src/log.ts';
import { openStore } from '../src/store/store.ts';
import { SampleScanner } from '../src/ws/sampleScan.ts';
import { benchArgs } from './args.ts';
import { synthRates, synthSampleFrame, synthTopology } from './synthHost.ts';

const a = benchArgs({ hosts: 40, ifaces: 1000, seconds: 60, warmup: 20, active: 0.5 });
const T0 = 1_700_000_000_000;
let now = T0;
const store = openStore(':memory:', { autoPump: false, now: () => now });
const core = new HubCore(store, silentLogger, createOnceLogger(silentLogger), () => now);

/** Per host, 10 frames' text around their time: fresh counters, no string building while measured. */
const VARIANTS = 10;
const hosts = Array.from({ length: a.hosts }, (_, h) => {
  const name = `bench-${String(h).padStart(4, '0')}`;
  const topo = synthTopology(name, a.ifaces);
  core.onTopology(name, T0, topo);
  const ids = topo.ifaces.map((i) => i.id);
  const rate = synthRates(a.ifaces, a.active);
  const frames = Array.from({ length: VARIANTS }, (_, v) => {
    const text = synthSampleFrame(ids, rate, v, 1);
    const at = text.indexOf('"t":1,');
    return [text.slice(0, at + 4), text.slice(at + 5)] as const;
  });
  return { name, frames, scanner: new SampleScanner() };
});

let gcMs = 0;
let measuring = false;
new PerformanceObserver((list) => {
  if (measuring) for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

let c0 = process.cpuUsage();
let w0 = performance.now();
for (let sec = 1; sec <= a.warmup + a.seconds; sec++) {
  if (sec === a.warmup + 1) {
    measuring = true;
    c0 = process.cpuUsage();
    w0 = performance.now();
  }
  now = T0 + sec * 1000;
  for (const [h, host] of hosts.entries()) {
    const [head, tail] = host.frames[(sec + h) % VARIANTS]!;
    // As the agent's socket reads it (ws/agentSession.ts): into buffers, else decoded.
    const text = `${head}${now}${tail}`;
    const scanned = host.scanner.scan(text);
    if (scanned) core.onSample(host.name, scanned.msg, scanned.rows);
    else {
      const decoded = decodeAgentMessage(text);
      if (!decoded.ok || decoded.value.type !== 'sample') throw new Error('bench frame refused');
      core.onSample(host.name, decoded.value);
    }
  }
  core.refreshJudgements();
  now += 500;
  core.refreshJudgements();
  if (sec % 10 === 0) store.flush();
}
const c = process.cpuUsage(c0);
const wall = performance.now() - w0;
// The GC observer's entries arrive asynchronously.
await new Promise((r) => setTimeout(r, 50));
const samples = a.hosts * a.seconds;
console.log(
  `bench:path: ${a.hosts} hosts × ${a.ifaces} interfaces (${a.active * 100}% active), ${a.seconds} simulated s after ${a.warmup} of warm-up`,
);
console.log(`  CPU per agent-sample (all threads)   ${((c.user + c.system) / 1000 / samples).toFixed(3)} ms`);
console.log(`  wall per agent-sample (main thread)  ${(wall / samples).toFixed(3)} ms`);
console.log(`  of which GC pauses (main thread)     ${(gcMs / samples).toFixed(3)} ms`);
console.log(`  RSS                                  ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`);
core.stop();
store.close();
