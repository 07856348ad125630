/**
 * Where a `node --cpu-prof` profile's time went, per second of profile: self time by function
 * (top N) and by bundle area. Used on the agent run by bench:agent with
 * BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR":  npx tsx apps/agent/bench/profile.ts DIR/*.cpuprofile
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const file = process.argv[2];
const top = Number(process.argv[3] ?? 40);
/** Skip this many seconds from the start (the warm-up), to see the steady state alone. */
const skipS = Number(process.argv[4] ?? 0);
/** ...and stop after this many seconds from the start (default: the end). */
const untilS = Number(process.argv[5] ?? Number.POSITIVE_INFINITY);
if (!file) {
  console.error('usage: profile.ts FILE.cpuprofile [TOP] [FROM_SECONDS] [UNTIL_SECONDS]');
  process.exit(2);
}
const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const self = new Map<number, number>();
let at = p.startTime;
const from = p.startTime + skipS * 1e6;
const until = Math.min(p.endTime, p.startTime + untilS * 1e6);
for (let i = 0; i < p.samples.length; i++) {
  at += p.timeDeltas[i] ?? 0;
  if (at < from || at > until) continue;
  const id = p.samples[i]!;
  self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
}
const seconds = (until - Math.max(p.startTime, from)) / 1e6;
const perS = (us: number) => (us / 1000 / seconds).toFixed(2);

/** Areas by the frames on the stack, first match wins: where the agent's time goes, coarsely. */
const AREAS: [string, RegExp][] = [
  [
    'spawning processes (ip, nft, tc) and their pipes',
    /^(execText|spawn|ChildProcess\.spawn|normalizeSpawnArguments|probeNamespace)$/,
  ],
  ['kernel file reads (net/dev, snmp, conntrack, arp, softnet, sysctls)', /^readAll$/],
  ['kernel file opens and checks', /^(openKernelFile|closeSync|checkNamespace|readlinkSync)$/],
  ['/proc scan for unnamed namespaces', /^scanProcesses$/],
  [
    'parsing and diffing counters',
    /^(scanNetDevBytes|parseNetDevBytes|parseSnmp|diffCounters|parseSoftnet|parseConntrackStat|parseArp)$/,
  ],
  ['encoding and sending frames', /^(stringify|sampleFrame|send|frame)$/],
  ['garbage collector', /^\(garbage collector\)$/],
];
/** Time with the function anywhere on the stack (counted once per sample): what a call costs in all. */
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const c = byId.get(cur)!.callFrame;
    if (!c.functionName || c.functionName === '(root)') continue;
    const key = `${c.functionName} ${c.url.split('/').pop()}:${c.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}
const areaSelf = new Map<string, number>();
const fnSelf = new Map<string, number>();
const stackSelf = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const f = n.callFrame;
  const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}`;
  fnSelf.set(key, (fnSelf.get(key) ?? 0) + us);
  // The nearest caller in our own code, to attribute natives and library time.
  const names: string[] = [];
  for (let cur: number | undefined = id; cur !== undefined && names.length < 4; cur = parent.get(cur)) {
    const c = byId.get(cur)!.callFrame;
    if (c.functionName) names.push(c.functionName);
  }
  const sk = names.join(' < ');
  let area = 'other (timers, promises, node internals)';
  if (f.functionName === '(idle)') area = '(idle)';
  else
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const fn = byId.get(cur)!.callFrame.functionName;
      const hit = AREAS.find(([, re]) => re.test(fn));
      if (hit) {
        area = hit[0];
        break;
      }
    }
  areaSelf.set(area, (areaSelf.get(area) ?? 0) + us);
  stackSelf.set(sk, (stackSelf.get(sk) ?? 0) + us);
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = [...self]
  .filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)')
  .reduce((a, [, us]) => a + us, 0);
console.log(`${file}: ${seconds.toFixed(1)} s, busy ${perS(total - idle)} ms/s`);
console.log('\nby area (ms/s):');
for (const [k, us] of [...areaSelf].sort((a, b) => b[1] - a[1]))
  if (k !== '(idle)') console.log(`  ${perS(us).padStart(7)}  ${k}`);
console.log('\nself time by function (ms/s):');
for (const [k, us] of [...fnSelf].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${perS(us).padStart(7)}  ${k}`);
console.log('\nself time by stack (4 frames, ms/s):');
for (const [k, us] of [...stackSelf].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${perS(us).padStart(7)}  ${k}`);
console.log('\ntotal time by function (itself and what it calls, ms/s):');
for (const [k, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${perS(us).padStart(7)}  ${k}`);
