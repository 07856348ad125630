/**
 * M simulated browsers in one process (bench only), each watching `--watch` hosts (round robin
 * over the agents' host names). Latency = receive time − the sample's t, which the simulated
 * agent set to its wall clock when sending; measured after `--warmup` seconds. `--slow K` makes
 * the first K browsers stop reading.
 */
import WebSocket from 'ws';
import { benchArgs } from './args.ts';

// --first K: watch hosts from bench-K on (bench:fleet: hosts whose agents are on another replica).
const a = benchArgs({ url: '', token: '', browsers: 5, watch: 1, agents: 10, warmup: 10, slow: 0, first: 0 });
const latencies: number[] = [];
let frames = 0;
let merged = 0;
let bytes = 0;
let slowFrames = 0;
let slowSamples = 0;
const start = Date.now();
const T_RE = /"sample":\{"t":(\d+)/;
const MERGED_RE = /"merged":(\d+)/;

for (let b = 0; b < a.browsers; b++) {
  const ws = new WebSocket(`${a.url.replace(/^http/, 'ws')}/ws/ui`, {
    perMessageDeflate: false,
    headers: { authorization: `Bearer ${a.token}` },
  });
  const hosts = Array.from(
    { length: a.watch },
    (_, k) => `bench-${String(a.first + ((b * a.watch + k) % a.agents)).padStart(4, '0')}`,
  );
  // The first `slow` browsers read one second in ten (paused 9 s: more than the kernel's socket
  // buffers hold at 20 hosts), yet answer pings: the hub must send them merged latest state,
  // not queue for them. Their latency is not measured.
  const slow = b < a.slow;
  ws.on('open', () => {
    ws.send(JSON.stringify({ type: 'subscribe', hosts }));
    if (slow) {
      const cycle = () => {
        ws.pause();
        setTimeout(() => {
          ws.resume();
          setTimeout(cycle, 1000);
        }, 9000);
      };
      setTimeout(cycle, 1000);
    }
  });
  ws.on('message', (data: Buffer) => {
    if (slow) {
      const head = data.subarray(0, 300).toString();
      if (!head.startsWith('{"type":"sample"')) return;
      slowFrames += 1;
      slowSamples += Number(MERGED_RE.exec(head)?.[1] ?? 1);
      return;
    }
    const now = Date.now();
    // The frame's head is enough: the hub writes type, host, merged, then the sample with t first.
    const head = data.subarray(0, 300).toString();
    if (!head.startsWith('{"type":"sample"')) return;
    const t = Number(T_RE.exec(head)?.[1]);
    if (now - start < a.warmup * 1000) return;
    frames += 1;
    bytes += data.length;
    merged += Number(MERGED_RE.exec(head)?.[1] ?? 1) > 1 ? 1 : 0;
    latencies.push(now - t);
  });
  ws.on('error', (e) => console.error(`simBrowsers: ${e.message}`));
}

function stop(): void {
  latencies.sort((x, y) => x - y);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? null;
  console.log(
    JSON.stringify({
      frames,
      mergedFrames: merged,
      bytes,
      p50: q(0.5),
      p99: q(0.99),
      max: latencies.at(-1) ?? null,
      slowFrames,
      slowSamples,
    }),
  );
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
