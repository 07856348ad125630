import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { createGunzip } from 'node:zlib';
import { type Keyframe, MAX_FRAME_BYTES, type Topology } from '@hopwatch/shared';
import { chunkHasRoom, rowsOf } from '../store/chunk.ts';
import { MAX_COLUMN_VALUES, SampleColumns } from '../store/columns.ts';
import { DEFAULT_CHUNK_MS, type Store } from '../store/store.ts';
import { GZIP_MAGIC, type Line } from './format.ts';
import { LineSplitter, LineTooLongError } from './lines.ts';
import { type HostExtent, RecordingFileError, RecordingValidator } from './validate.ts';

export { RecordingFileError };

/**
 * Bounds on what one import may cost (POST /api/import takes a file from anyone who can reach
 * it). Compressed: what the upload may send. Plain: what it may unpack to on the temporary disk
 * (a gzip bomb is refused at this size, not when the disk is full). Line: one NDJSON line, which
 * holds at most one agent frame's worth (a topology or a sample, MAX_FRAME_BYTES) plus its
 * envelope; a longer one is refused as soon as it gets that long, with memory held to it.
 */
export const IMPORT_MAX_COMPRESSED_BYTES = 1024 ** 3;
export const IMPORT_MAX_PLAIN_BYTES = 8 * 1024 ** 3;
export const IMPORT_MAX_LINE_BYTES = MAX_FRAME_BYTES + 64 * 1024;
/**
 * Phase 2 writes in transactions of about this much work, yielding to the event loop between
 * them, so agents and browsers keep being served while a big file goes in (bench:import: one
 * transaction for 23 MiB stalled the loop for 11.5 s).
 */
export const IMPORT_BATCH_BUDGET_MS = 25;
const READ_BUFFER_BYTES = 1 << 20;

/** The file is fine but the hub already holds data for a host in that time: 409, nothing written. */
export class ImportConflictError extends Error {}
/** Over one of the ImportLimits: 413, nothing written. A RecordingFileError for callers that only know that. */
export class ImportTooLargeError extends RecordingFileError {}

export interface ImportLimits {
  maxCompressedBytes: number;
  maxPlainBytes: number;
  maxLineBytes: number;
  /** An upload that sends nothing for this long is cut (POST /api/import): it holds the one slot. */
  idleMs: number;
}

export const IMPORT_IDLE_MS = 60_000;

export const DEFAULT_IMPORT_LIMITS: ImportLimits = {
  maxCompressedBytes: IMPORT_MAX_COMPRESSED_BYTES,
  maxPlainBytes: IMPORT_MAX_PLAIN_BYTES,
  maxLineBytes: IMPORT_MAX_LINE_BYTES,
  idleMs: IMPORT_IDLE_MS,
};

export interface ImportOptions {
  /** Appended to every host name (import the same incident twice, or beside the live host). */
  hostSuffix?: string;
  chunkMs?: number;
  limits?: Partial<ImportLimits>;
  /** Work per write transaction before yielding to the event loop (IMPORT_BATCH_BUDGET_MS). */
  batchBudgetMs?: number;
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
 * through gunzip and the validator into a temporary plain file, under ImportLimits; a bad or
 * oversized file stops here and the store is untouched. Phase 2 writes it in short transactions
 * (IMPORT_BATCH_BUDGET_MS of work each, reading the plain file synchronously inside one, since a
 * transaction cannot span an await: the store's own writer shares the connection) and yields to
 * the event loop between them. What phase 2 wrote is deleted again if it fails half-way (a full
 * disk), so a failed import still leaves nothing behind. The caller runs one import at a time
 * (replay/routes.ts): the conflict check below is made once, before the first batch.
 */
export async function importRecording(
  store: Store,
  input: Readable,
  opts: ImportOptions = {},
): Promise<ImportResult> {
  const limits: ImportLimits = { ...DEFAULT_IMPORT_LIMITS, ...opts.limits };
  const dir = mkdtempSync(join(tmpdir(), 'hopwatch-import-'));
  try {
    const plain = join(dir, 'recording.ndjson');
    const checked = await validateToFile(input, plain, limits);
    const rename = (h: string) => `${h}${opts.hostSuffix ?? ''}`;
    checkConflicts(store, checked.hosts, rename);
    try {
      return await writeAll(
        store,
        plain,
        rename,
        opts.chunkMs ?? DEFAULT_CHUNK_MS,
        opts.batchBudgetMs ?? IMPORT_BATCH_BUDGET_MS,
      );
    } finally {
      store.rescan();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function validateToFile(input: Readable, path: string, limits: ImportLimits) {
  const validator = new RecordingValidator();
  const fd = openSync(path, 'w');
  let first = true;
  let compressed = 0;
  let written = 0;
  try {
    await pipeline(
      // Not destroyed when the pipeline fails: destroying an HTTP request destroys its socket,
      // and the client would see a reset instead of the 400/413 saying why.
      input.iterator({ destroyOnReturn: false }),
      async function* magic(source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          if (first && chunk.length >= 2 && !chunk.subarray(0, 2).equals(GZIP_MAGIC))
            throw new RecordingFileError('not a hopwatch recording: the file is not gzip-compressed');
          first = false;
          compressed += chunk.length;
          if (compressed > limits.maxCompressedBytes)
            throw new ImportTooLargeError(
              `the file is larger than ${limits.maxCompressedBytes} bytes compressed; refused`,
            );
          yield chunk;
        }
      },
      createGunzip(),
      async (source: AsyncIterable<Buffer>) => {
        const lines = new LineSplitter(limits.maxLineBytes);
        const take = (text: string) => {
          const out = validator.line(text);
          if (out === null) return;
          written += Buffer.byteLength(out) + 1;
          if (written > limits.maxPlainBytes)
            throw new ImportTooLargeError(
              `the recording unpacks to more than ${limits.maxPlainBytes} bytes; refused`,
            );
          writeSync(fd, `${out}\n`);
        };
        for await (const chunk of source) for (const l of lines.push(chunk)) take(l);
        const last = lines.end();
        if (last !== null) take(last);
      },
    );
  } catch (e) {
    if (e instanceof RecordingFileError) throw e;
    if (e instanceof LineTooLongError)
      throw new ImportTooLargeError(
        `line ${e.lineNo} is longer than ${e.maxLineBytes} bytes (no hopwatch recording has such lines); refused`,
      );
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
    const start = store.firstStart(host) ?? end;
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

/** The lines of a file, pulled one at a time, read synchronously a megabyte at a time. */
class SyncLineReader {
  private readonly fd: number;
  private readonly buf = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private readonly splitter = new LineSplitter(Number.MAX_SAFE_INTEGER);
  private queue: string[] = [];
  private at = 0;
  private done = false;

  constructor(path: string) {
    this.fd = openSync(path, 'r');
  }

  /** The next non-empty line, or null at the end of the file. */
  next(): string | null {
    for (;;) {
      while (this.at < this.queue.length) {
        const l = this.queue[this.at++]!;
        if (l !== '') return l;
      }
      if (this.done) return null;
      const n = readSync(this.fd, this.buf, 0, this.buf.length, null);
      if (n === 0) {
        this.done = true;
        const last = this.splitter.end();
        this.queue = last === null ? [] : [last];
      } else this.queue = this.splitter.push(Buffer.from(this.buf.subarray(0, n)));
      this.at = 0;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

interface HostWrite {
  /** The host's name in the file. */
  from: string;
  topologies: { t: number; topology: Topology }[];
  /** The open chunk, held as the live pump holds it (and bounded by the same tests). */
  columns: SampleColumns | null;
  /** Its start (its first sample's t - elapsedMs). */
  openStart: number;
  keyframes: Keyframe[];
  count: number;
  /** Interfaces summed over the open chunk's samples (MAX_CHUNK_ROWS). */
  rows: number;
  start: number;
  end: number;
}

/**
 * Phase 2, in batches of short transactions: chunks cut like the live store cuts them and written
 * through its own write path (store.bulk(): the same chunk rows, summaries included). Every row
 * written is remembered and removed again if a later batch fails.
 */
async function writeAll(
  store: Store,
  plain: string,
  rename: (h: string) => string,
  chunkMs: number,
  budgetMs: number,
): Promise<ImportResult> {
  const bulk = store.bulk();
  const marksWritten: string[] = [];
  const marks = store.marks();
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
      w = {
        from,
        topologies: [],
        columns: null,
        openStart: 0,
        keyframes: [],
        count: 0,
        rows: 0,
        start: 0,
        end: 0,
      };
      byHost.set(host, w);
    }
    return w;
  };
  const flush = (host: string, w: HostWrite) => {
    if (w.columns === null) return;
    // Judged against the version in force at the chunk's end (its last sample), as the live pump does.
    const inForce = w.topologies.filter((v) => v.t <= w.end).at(-1) ?? w.topologies[0];
    bulk.chunk(host, w.columns, w.keyframes, inForce?.topology ?? null);
    w.columns = null;
    w.keyframes = [];
    w.rows = 0;
  };

  const write = (text: string) => {
    const l = JSON.parse(text) as Line | { format: string };
    if ('format' in l) return; // the header
    switch (l.type) {
      case 'topology': {
        const host = rename(l.host);
        const topology = { ...l.topology, host };
        bulk.topology(host, l.t, topology);
        const w = stateOf(l.host);
        w.topologies.push({ t: l.t, topology });
        w.topologies.sort((a, b) => a.t - b.t);
        result.topologies += 1;
        return;
      }
      case 'sample': {
        const host = rename(l.host);
        const w = stateOf(l.host);
        const rows = rowsOf(l.sample);
        const open = w.columns;
        // The pump's tests (store/pump.ts add): the reader's bounds and the columns' own.
        if (
          open &&
          (l.sample.t - w.openStart > chunkMs ||
            !chunkHasRoom(open.length, w.rows, rows) ||
            open.valuesIfAdded(rows) > MAX_COLUMN_VALUES)
        )
          flush(host, w);
        if (w.columns === null) {
          w.columns = new SampleColumns(undefined, rows);
          w.openStart = l.sample.t - l.sample.elapsedMs;
        }
        w.columns.add(l.sample);
        w.rows += rows;
        if (w.count === 0) w.start = l.sample.t - l.sample.elapsedMs;
        w.end = l.sample.t;
        w.count += 1;
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
        marksWritten.push(created.id);
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
  };

  const reader = new SyncLineReader(plain);
  try {
    // One batch: at least one line, then lines until the budget is spent (checked per line; a
    // line is at most one chunk of work), committed together. false at the end of the file.
    const batch = (): boolean =>
      bulk.batch(() => {
        const t0 = performance.now();
        do {
          const text = reader.next();
          if (text === null) {
            for (const [host, w] of byHost) flush(host, w);
            return false;
          }
          write(text);
        } while (performance.now() - t0 < budgetMs);
        return true;
      });
    while (batch()) await yieldToLoop();
  } catch (e) {
    // Undoes a half-written import (the batches already committed).
    bulk.undo();
    bulk.batch(() => {
      for (const id of marksWritten) marks.remove(id);
    });
    throw e;
  } finally {
    reader.close();
  }
  for (const [host, w] of byHost) {
    const latest = w.topologies.at(-1);
    if (latest) result.latest.set(host, latest);
    result.hosts.push({ host, from: w.from, start: w.start, end: w.end, samples: w.count });
  }
  return result;
}
