/**
 * The UI thread's check of a topology frame: the hand-written one (src/connection/decodeHub.ts)
 * against the wire's zod schema it replaced there (jitless, as under the hub's CSP), on the
 * bench's synthetic host. Each in a fresh process for its cold figure (a page decodes its first
 * topology cold), then warm medians.
 *
 *   node --import tsx apps/web/bench/decode.ts [--ifaces 3000]
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const IFACES = Number(arg('ifaces', '3000'));
const which = arg('only', '');

if (which === '') {
  for (const w of ['hand', 'zod', 'hand', 'zod']) {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), '--only', w, '--ifaces', String(IFACES)],
      { encoding: 'utf8' },
    );
    process.stdout.write(out);
  }
} else {
  const { z } = await import('zod');
  z.config({ jitless: true });
  const { syntheticTopology } = await import('../test/fixtures/synthetic.ts');
  const topology = syntheticTopology(IFACES, Math.max(1, Math.round(IFACES / 10)));
  const raw = JSON.stringify({ type: 'topology', host: topology.host, t: 1, topology });
  const t0 = performance.now();
  const decode =
    which === 'hand'
      ? (await import('../src/connection/decodeHub.ts')).decodeHubFrame
      : (await import('@hopwatch/shared')).decodeHubToUi;
  const loaded = performance.now() - t0;
  const once = () => {
    const t = performance.now();
    const r = decode(raw);
    if (!r.ok) throw new Error(r.error);
    return performance.now() - t;
  };
  const cold = once();
  const warm = Array.from({ length: 15 }, once).sort((a, b) => a - b)[7]!;
  const parse = Array.from({ length: 15 }, () => {
    const t = performance.now();
    JSON.parse(raw);
    return performance.now() - t;
  }).sort((a, b) => a - b)[7]!;
  console.log(
    `${which.padEnd(4)} ${IFACES} ifaces, ${(raw.length / 1024).toFixed(0)} KiB: module load ${loaded.toFixed(0)} ms, ` +
      `first frame ${cold.toFixed(1)} ms, warm median ${warm.toFixed(1)} ms (JSON.parse alone ${parse.toFixed(1)} ms)`,
  );
}
