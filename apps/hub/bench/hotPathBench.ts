/**
 * npm run bench:hotpath -w @hopwatch/hub -- [--ifaces I] [--active F] [--rounds R]
 *
 * The hub's per-sample work on one 1000-interface host, stage by stage, in this process (no
 * sockets): parsing and validating the agent's frame, the copies kept for the recording (the
 * open chunk's columns) and the judge (the latest sample), the running totals, a 10 s chunk's
 * encoding, compression and loss summary, and judging the latest sample. (JSON.stringify of the
 * sample is shown for comparison: since issue 12 it is made only while a browser watches.) CPU time per agent-sample (process.cpuUsage, not wall time), and for
 * the chunk codecs also bytes per interface-hour, so a codec is picked by both.
 */
import { brotliCompressSync, constants as Z, deflateRawSync, gzipSync } from 'node:zlib';
import { AgentMessageSchema, decodeAgentMessage, localize, type Sample } from '@hopwatch/shared';
import { encodeChunkBody } from '../src/store/chunk.ts';
import { buildChunkRow } from '../src/store/chunkRow.ts';
import { SampleColumns } from '../src/store/columns.ts';
import { LatestSample } from '../src/state/latest.ts';
import { HostTotals } from '../src/state/totals.ts';
import { benchArgs } from './args.ts';
import { synthRates, synthSampleFrame, synthTopology } from './synthHost.ts';

const a = benchArgs({ ifaces: 1000, active: 0.5, rounds: 20 });
const CHUNK = 10;
const topo = synthTopology('bench-0000', a.ifaces);
const ids = topo.ifaces.map((i) => i.id);
const rate = synthRates(a.ifaces, a.active);
const t0 = Date.now();
const frames = Array.from({ length: CHUNK * a.rounds }, (_, i) =>
  synthSampleFrame(ids, rate, i, t0 + i * 1000),
);
const samples = frames.map((f) => (JSON.parse(f) as { sample: Sample }).sample);

/**
 * CPU ms per call of fn(i) over i < n, after a warm-up pass: the best of three passes (the
 * machine is shared; the best pass is the one least disturbed).
 */
function perSample(fn: (i: number) => void, n = frames.length): number {
  for (let i = 0; i < Math.min(n, 20); i++) fn(i);
  let best = Number.POSITIVE_INFINITY;
  for (let pass = 0; pass < 3; pass++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) fn(i);
    const c = process.cpuUsage(c0);
    best = Math.min(best, (c.user + c.system) / 1000 / n);
  }
  return best;
}

const rows: [string, string][] = [];
const ms = (x: number) => `${x.toFixed(3)} ms`;
rows.push(['JSON.parse of the frame', ms(perSample((i) => JSON.parse(frames[i]!)))]);
const parsed = frames.map((f) => JSON.parse(f) as unknown);
rows.push([
  'zod safeParse of the parsed frame',
  ms(perSample((i) => AgentMessageSchema.safeParse(parsed[i]))),
]);
rows.push(['decodeAgentMessage (parse + validate)', ms(perSample((i) => decodeAgentMessage(frames[i]!)))]);
rows.push([
  'JSON.stringify of the sample (only while watched)',
  ms(perSample((i) => JSON.stringify(samples[i]!))),
]);
const latest = new LatestSample();
rows.push(["LatestSample.set (the judge's copy)", ms(perSample((i) => latest.set(samples[i]!)))]);
rows.push(['LatestSample.sample (per judgement)', ms(perSample(() => latest.sample(), 30))]);
const totals = new HostTotals();
rows.push(['HostTotals.add', ms(perSample((i) => totals.add(samples[i]!)))]);
rows.push(['localize of one sample (judging)', ms(perSample((i) => localize(topo, samples[i]!), 30))]);
const chunks = a.rounds;
const columnsOf = (k: number) => {
  const cols = new SampleColumns();
  for (let i = k * CHUNK; i < k * CHUNK + CHUNK; i++) cols.add(samples[i]!);
  return cols;
};
rows.push([
  'SampleColumns.add (the open chunk, on arrival)',
  ms(perSample((k) => columnsOf(k), chunks) / CHUNK),
]);
const open = Array.from({ length: chunks }, (_, k) => columnsOf(k));
const chunkMs = perSample((k) => buildChunkRow('h', { columns: open[k]! }, [], topo, () => {}), chunks);
rows.push(['buildChunkRow per sample (encode + compress + summary)', ms(chunkMs / CHUNK)]);

// Compressors over cols2's body (the binary columns), and chunk lengths (batching).
for (const per of [CHUNK, 3 * CHUNK]) {
  const k = Math.floor(samples.length / per);
  const bodies = Array.from({ length: k }, (_, c) =>
    encodeChunkBody(samples.slice(c * per, c * per + per), []),
  );
  rows.push([
    `cols2 encode (${per} samples a chunk) per sample`,
    ms(perSample((c) => encodeChunkBody(samples.slice(c * per, c * per + per), []), k) / per),
  ]);
  const ifaceHours = (per * a.ifaces) / 3600;
  const codecs: [string, (b: Buffer) => Buffer][] = [
    ['none', (b) => b],
    ...[1, 3, 4, 5].map(
      (q) =>
        [
          `brotli ${q}`,
          (b: Buffer) =>
            brotliCompressSync(b, {
              params: { [Z.BROTLI_PARAM_QUALITY]: q, [Z.BROTLI_PARAM_SIZE_HINT]: b.length },
            }),
        ] as [string, (b: Buffer) => Buffer],
    ),
    ...[1, 3, 6].map(
      (l) => [`gzip ${l}`, (b: Buffer) => gzipSync(b, { level: l })] as [string, (b: Buffer) => Buffer],
    ),
    ['deflate-raw 1', (b) => deflateRawSync(b, { level: 1 })],
  ];
  for (const [name, fn] of codecs) {
    const bytes = bodies.reduce((n, b) => n + fn(b).length, 0) / k;
    const cpu = perSample((c) => fn(bodies[c]!), k) / per;
    rows.push([
      `  + ${name} per sample`,
      `${ms(cpu)}; ${(bytes / ifaceHours).toFixed(0)} B per interface-hour`,
    ]);
  }
}

console.log(
  `bench:hotpath: one host of ${a.ifaces} interfaces (${a.active * 100}% active), ${frames.length} samples, CPU per agent-sample`,
);
const w = Math.max(...rows.map(([k]) => k.length));
for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
