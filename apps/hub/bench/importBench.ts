/**
 * bench:import — what a big `POST /api/import` costs the hub while it runs.
 *
 *   npm run bench:import -w @hopwatch/hub [-- --ifaces 1000 --hours 1 --fresh 0]
 *
 * Synthesises `hours` of one host with `ifaces` interfaces at 1 Hz (replaySynth.ts, cached in
 * the temp dir), exports it to a recording file, starts a hub on an empty file and posts the
 * recording to it over HTTP, as `hopwatch replay import` does. Prints the file's size, the
 * import's wall time, the process's peak RSS growth, and the event-loop delay during the import
 * (p50/p99/max, monitorEventLoopDelay at 1 ms resolution): what every agent and browser of that
 * hub waited while the import ran.
 */
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { silentLogger, startHub } from '../src/index.ts';
import { exportStream, resolveExport } from '../src/replay/export.ts';
import { openStore } from '../src/store/store.ts';
import { benchArgs } from './args.ts';
import { synthesize } from './replaySynth.ts';

const a = benchArgs({ ifaces: 1000, hours: 1, active: 0.5, fresh: 0 });
const HOST = 'bench-node';
const MiB = 1024 ** 2;

async function recordingFile(): Promise<string> {
  const base = join(tmpdir(), `hopwatch-bench-import-${a.ifaces}if-${a.hours}h-${a.active}`);
  const file = `${base}.hwrec.ndjson.gz`;
  if (a.fresh === 0 && existsSync(file)) return file;
  const db = `${base}.db`;
  for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
  const end = Math.floor(Date.now() / 1000) * 1000 - 3 * 3600_000;
  synthesize({ path: db, host: HOST, ifaces: a.ifaces, active: a.active, hours: a.hours, end }, () => {});
  const store = openStore(db, { readonly: true });
  try {
    await pipeline(exportStream(store, resolveExport(store, [], {})), createWriteStream(file));
  } finally {
    store.close();
  }
  for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
  return file;
}

const file = await recordingFile();
const size = statSync(file).size;
const dir = mkdtempSync(join(tmpdir(), 'hopwatch-bench-import-hub-'));
const hub = await startHub({
  port: 0,
  db: join(dir, 'hub.db'),
  agentToken: null,
  log: silentLogger,
  retentionMs: 100 * 365 * 24 * 3600_000,
});
try {
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const t0 = performance.now();
  const res = await fetch(`${hub.url}/api/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/gzip' },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  const body = (await res.json()) as { samples?: number; error?: string };
  const ms = performance.now() - t0;
  loop.disable();
  clearInterval(sampler);
  if (!res.ok) throw new Error(`import: ${res.status} ${body.error}`);
  const q = (p: number) => (loop.percentile(p) / 1e6).toFixed(1);
  console.log(
    `import of ${(size / MiB).toFixed(1)} MiB (${a.hours} h × ${a.ifaces} interfaces, ${body.samples} samples): ` +
      `${(ms / 1000).toFixed(1)} s, RSS +${((peak - rss0) / MiB).toFixed(0)} MiB (peak ${(peak / MiB).toFixed(0)} MiB), ` +
      `event-loop delay p50 ${q(50)} ms, p99 ${q(99)} ms, max ${(loop.max / 1e6).toFixed(0)} ms`,
  );
} finally {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
}
