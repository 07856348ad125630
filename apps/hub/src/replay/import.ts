import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { brotliCompressSync, createGunzip, constants as zlibConstants } from 'node:zlib';
import type { Keyframe, Sample, Topology } from '@hopwatch/shared';
import { summarize } from '../state/summary.ts';
import { CHUNK_CODEC, encodeChunk } from '../store/chunk.ts';
import { openMarks } from '../store/marks.ts';
import { DEFAULT_CHUNK_MS, type Store } from '../store/store.ts';
import { GZIP_MAGIC, type Line } from './format.ts';
import { type HostExtent, RecordingFileError, RecordingValidator } from './validate.ts';

export { RecordingFileError };

/** Decompressed size a file may have: guards the temporary disk against a gzip bomb. */
export const IMPORT_MAX_PLAIN_BYTES = 8 * 1024 ** 3;
const READ_BUFFER_BYTES = 1 << 20;
/** As the store writes topologies: brotli's default quality (11) takes ~1 s on a big host. */
const TOPOLOGY_BROTLI_QUALITY = 4;
const compressTopology = (json: string) =>
  brotliCompressSync(json, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: TOPOLOGY_BROTLI_QUALITY } });

/** The file is fine but the hub already holds data for a host in that time: 409, nothing written. */
export class ImportConflictError extends Error {}

export interface ImportOptions {
  /** Appended to every host name (import the same incident twice, or beside the live host). */
  hostSuffix?: string;
  chunkMs?: number;
  maxPlainBytes?: number;
}

export interface ImportResult {
  hosts: { host: string; from: string; start: number; end: number; samples: number }[];
  topologies: number;
  samples: number;
  keyframes: number;
  marks: string[];
  /** The newest topology per imported host, for the caller to announce (HubCore). */
  latest: Map<string, { t: number; topology: Topology }>;
}

/**
 * Imports a recording file (FORMAT.md) into a store, all or nothing. Phase 1 streams the file
 * through gunzip and the validator into a temporary plain file; a bad file stops here with a
 * RecordingFileError and the store is untouched. Phase 2 writes everything in one SQLite
 * transaction, reading that plain file synchronously: one transaction cannot span awaits (the
 * store's own writer shares the connection), and the plain file bounds memory to a line.
 */
export async function importRecording(
  store: Store,
  input: Readable,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hopwatch-import-'));
  try {
    const plain = join(dir, 'recording.ndjson');
    const checked = await validateToFile(input, plain, opts.maxPlainBytes ?? IMPORT_MAX_PLAIN_BYTES);
    const rename = (h: string) => `${h}${opts.hostSuffix ?? ''}`;
    // Checked inside the transaction: another import may have finished while this file streamed in.
    const result = store.db.transaction(() => {
      checkConflicts(store, checked.hosts, rename);
      return writeAll(store, plain, rename, opts.chunkMs ?? DEFAULT_CHUNK_MS);
    })();
    store.rescan();
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function validateToFile(input: Readable, path: string, maxBytes: number) {
  const validator = new RecordingValidator();
  const fd = openSync(path, 'w');
  let first = true;
  let written = 0;
  try {
    await pipeline(
      input,
      async function* magic(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          if (first && chunk.length >= 2 && !chunk.subarray(0, 2).equals(GZIP_MAGIC))
            throw new RecordingFileError('not a hopwatch recording: the file is not gzip-compressed');
          first = false;
          yield chunk;
        }
      },
      createGunzip(),
      async (source: AsyncIterable<Buffer>) => {
        const decoder = new StringDecoder('utf8');
        let rest = '';
        const take = (text: string) => {
          const out = validator.line(text);
          if (out === null) return;
          written += Buffer.byteLength(out) + 1;
          if (written > maxBytes)
            throw new RecordingFileError(`the recording unpacks to more than ${maxBytes} bytes; refused`);
          writeSync(fd, `${out}\n`);
        };
        for await (const chunk of source) {
          const lines = (rest + decoder.write(chunk)).split('\n');
          rest = lines.pop() ?? '';
          for (const l of lines) take(l);
        }
        rest += decoder.end();
        if (rest !== '') take(rest);
      },
    );
  } catch (e) {
    if (e instanceof RecordingFileError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code.startsWith('Z_'))
      throw new RecordingFileError(`the file is damaged: gzip says "${(e as Error).message}"`);
    throw e;
  } finally {
    closeSync(fd);
  }
  return validator.finish();
}

function checkConflicts(store: Store, hosts: Map<string, HostExtent>, rename: (h: string) => string): void {
  for (const [from, ext] of hosts) {
    if (ext.samples === 0) continue;
    const host = rename(from);
    const end = store.lastT(host);
    if (end === null) continue;
    const first = store.db
      .prepare(`SELECT start_t FROM chunks WHERE host = ? ORDER BY end_t LIMIT 1`)
      .get(host) as { start_t: number } | undefined;
    const start = first?.start_t ?? end;
    // Only strictly older data may join a host's recording: overlapping rows would interleave, and
    // newer rows would make the live agent's next samples look out of order.
    if (ext.last >= start)
      throw new ImportConflictError(
        `host "${host}" already has recordings from ${new Date(start).toISOString()} to ` +
          `${new Date(end).toISOString()}, and the file's ${new Date(ext.first).toISOString()} to ` +
          `${new Date(ext.last).toISOString()} is not entirely before that; import it under another ` +
          'name with a host suffix (--host-suffix / ?hostSuffix=)',
      );
  }
}

/** Calls fn for every line of a file, reading it synchronously a megabyte at a time. */
function forEachLineSync(path: string, fn: (line: string) => void): void {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  const decoder = new StringDecoder('utf8');
  let rest = '';
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const lines = (rest + decoder.write(buf.subarray(0, n))).split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) if (l !== '') fn(l);
    }
    rest += decoder.end();
    if (rest !== '') fn(rest);
  } finally {
    closeSync(fd);
  }
}

interface HostWrite {
  /** The host's name in the file. */
  from: string;
  topologies: { t: number; topology: Topology }[];
  samples: Sample[];
  keyframes: Keyframe[];
  count: number;
  start: number;
  end: number;
}

/** Phase 2, inside the transaction: chunks cut like the live store cuts them, summaries included. */
function writeAll(store: Store, plain: string, rename: (h: string) => string, chunkMs: number): ImportResult {
  const { db } = store;
  const insertChunk = db.prepare(
    `INSERT INTO chunks (host, start_t, end_t, samples, codec, bytes, summary, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertTopology = db.prepare(
    `INSERT OR REPLACE INTO topologies (host, t, bytes, data) VALUES (?, ?, ?, ?)`,
  );
  const marks = openMarks(store);
  const byHost = new Map<string, HostWrite>();
  const result: ImportResult = {
    hosts: [],
    topologies: 0,
    samples: 0,
    keyframes: 0,
    marks: [],
    latest: new Map(),
  };
  const stateOf = (from: string) => {
    const host = rename(from);
    let w = byHost.get(host);
    if (!w) {
      w = { from, topologies: [], samples: [], keyframes: [], count: 0, start: 0, end: 0 };
      byHost.set(host, w);
    }
    return w;
  };
  const flush = (host: string, w: HostWrite) => {
    const first = w.samples[0];
    const last = w.samples.at(-1);
    if (!first || !last) return;
    const inForce = w.topologies.filter((v) => v.t <= last.t).at(-1) ?? w.topologies[0];
    let summary: string | null = null;
    try {
      if (inForce) summary = JSON.stringify(summarize(inForce.topology, w.samples));
    } catch {
      summary = null; // as the live store: a chunk without a summary is still replayable
    }
    const data = encodeChunk(w.samples, w.keyframes);
    insertChunk.run(
      host,
      first.t - first.elapsedMs,
      last.t,
      w.samples.length,
      CHUNK_CODEC,
      data.length,
      summary,
      data,
    );
    w.samples = [];
    w.keyframes = [];
  };

  forEachLineSync(plain, (text) => {
    const l = JSON.parse(text) as Line | { format: string };
    if ('format' in l) return; // the header
    switch (l.type) {
      case 'topology': {
        const host = rename(l.host);
        const topology = { ...l.topology, host };
        const data = compressTopology(JSON.stringify(topology));
        insertTopology.run(host, l.t, data.length, data);
        const w = stateOf(l.host);
        w.topologies.push({ t: l.t, topology });
        w.topologies.sort((a, b) => a.t - b.t);
        result.topologies += 1;
        return;
      }
      case 'sample': {
        const host = rename(l.host);
        const w = stateOf(l.host);
        const open = w.samples[0];
        if (open && l.sample.t - (open.t - open.elapsedMs) > chunkMs) flush(host, w);
        if (w.count === 0) w.start = l.sample.t - l.sample.elapsedMs;
        w.end = l.sample.t;
        w.count += 1;
        w.samples.push(l.sample);
        result.samples += 1;
        return;
      }
      case 'keyframe':
        stateOf(l.host).keyframes.push(l.keyframe);
        result.keyframes += 1;
        return;
      case 'mark': {
        const m = l.mark;
        const created = marks.create(
          { name: m.name, hosts: m.hosts === null ? null : m.hosts.map(rename), start: m.start, end: m.end },
          m.id,
        );
        result.marks.push(created.id);
        return;
      }
      case 'end':
        return;
      default: {
        const never: never = l;
        throw new Error(`unhandled line ${JSON.stringify(never)}`);
      }
    }
  });
  for (const [host, w] of byHost) {
    flush(host, w);
    const latest = w.topologies.at(-1);
    if (latest) result.latest.set(host, latest);
    result.hosts.push({ host, from: w.from, start: w.start, end: w.end, samples: w.count });
  }
  return result;
}
