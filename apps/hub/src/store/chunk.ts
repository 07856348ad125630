import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from 'node:zlib';
import { IFACE_COUNTERS, type Keyframe, type Sample } from '@hopwatch/shared';
import { checkSample } from '@hopwatch/shared/protocol/sampleFrame';
import { SampleColumns } from './columns.ts';

/**
 * One chunk = consecutive samples of one host, stored as one compressed row.
 *
 * Columnar, not row-wise: per interface, per counter, the values across the chunk's samples.
 * Interface ids appear once per chunk instead of once per sample, all-zero columns collapse to
 * one byte, and similar numbers sit next to each other.
 *
 * `cols2+br` (issue 12): a JSON header (times, ids, presence, the rest of each sample,
 * keyframes) and the counter columns in binary, LEB128 varints for integers (float64 for a
 * column holding anything else), brotli 3 over the whole. Writing 25 000 counters a chunk as JSON
 * text was the costliest step of the hub's write path (number to decimal text) and gave brotli
 * 4.5 times the bytes to read. bench:hotpath (10 samples × 1000 interfaces, half active, ±10 %
 * rate noise), per agent-sample: cols1 0.49 ms encode + 0.25 ms brotli 4, 21.0 KB per
 * interface-hour; cols2 0.22 ms + 0.09 ms brotli 3, 20.2 KB (apps/hub/README.md "Recording").
 * `cols1+br` (columnar JSON text, brotli 4) is still read: recordings made before stay readable.
 */
export const CHUNK_CODEC = 'cols2+br';
const CHUNK_CODEC_V1 = 'cols1+br';
/** Chunks: brotli 3 (bench:hotpath: 3 % more bytes than 4 for 40 % less CPU). */
const CHUNK_BROTLI_QUALITY = 3;
/** Topologies (JSON text, rare). */
const TEXT_BROTLI_QUALITY = 4;
const WIDTH = IFACE_COUNTERS.length;

/** The part of a sample that is not interface counters, kept as the agent sent it. */
type SampleRest = Omit<Sample, 't' | 'elapsedMs' | 'ifaces'>;

interface ChunkHeader {
  v: 2;
  t: number[];
  e: number[];
  ids: string[];
  /** Per id: indices of the samples the id was present in, null when present in all. */
  p: (number[] | null)[];
  rest: SampleRest[];
  k: Keyframe[];
}

/** cols1's body: columns as JSON, each the values across samples or 0 when all zero. */
interface ChunkBodyV1 {
  v: 1;
  t: number[];
  e: number[];
  ids: string[];
  c: (number[] | 0)[][];
  p: (number[] | null)[];
  rest: SampleRest[];
  k: Keyframe[];
}

/** Column tags in cols2. */
const COL_ZERO = 0;
const COL_VARINT = 1;
const COL_F64 = 2;

/** An encoded chunk and, per interface, its rows summed over the chunk (the window's rows). */
export interface EncodedChunk {
  data: Buffer;
  ifaceSums: Record<string, number[]>;
}

export function encodeChunk(samples: readonly Sample[], keyframes: readonly Keyframe[]): Buffer {
  return encodeChunkSummed(samples, keyframes).data;
}

export function encodeChunkSummed(samples: readonly Sample[], keyframes: readonly Keyframe[]): EncodedChunk {
  return encodeColumns(columnsOf(samples), keyframes);
}

/** The chunk's bytes before compression (bench:hotpath compares compressors on them). */
export function encodeChunkBody(samples: readonly Sample[], keyframes: readonly Keyframe[]): Buffer {
  // A copy: the body is a view of the shared scratch buffer, overwritten by the next chunk.
  return Buffer.from(columnsBody(columnsOf(samples), keyframes).body);
}

function columnsOf(samples: readonly Sample[]): SampleColumns {
  const cols = new SampleColumns();
  for (const s of samples) cols.add(s);
  return cols;
}

/** An open chunk's columns (columns.ts), encoded and compressed: the hub's write path. */
export function encodeColumns(cols: SampleColumns, keyframes: readonly Keyframe[]): EncodedChunk {
  const c = columnsBody(cols, keyframes);
  return { data: compress(c.body, BROTLI_MODE_GENERIC, CHUNK_BROTLI_QUALITY), ifaceSums: c.ifaceSums };
}

/**
 * The uncompressed body, straight from the columns. The header is put together from the
 * samples' rest texts as they are: the same bytes JSON.stringify of the whole header gives.
 */
function columnsBody(
  cols: SampleColumns,
  keyframes: readonly Keyframe[],
): { body: Buffer; ifaceSums: Record<string, number[]> } {
  // The body returned is a view of `scratch`: compress or copy it before encoding another chunk.
  const n = cols.length;
  const ids = cols.ids;
  const p = ids.map((_, k) => {
    let all = true;
    for (let si = 0; si < n && all; si++) all = cols.has(k, si);
    if (all) return null;
    const list: number[] = [];
    for (let si = 0; si < n; si++) if (cols.has(k, si)) list.push(si);
    return list;
  });
  const head = Buffer.from(
    `{"v":2,"t":${JSON.stringify(cols.t)},"e":${JSON.stringify(cols.e)},"ids":${JSON.stringify(ids)},` +
      `"p":${JSON.stringify(p)},"rest":[${cols.rest.join(',')}],"k":${JSON.stringify(keyframes)}}`,
  );
  // Worst case: a tag and n float64s per column.
  const body = scratchOf(4 + head.length + ids.length * WIDTH * (1 + 8 * n));
  body.writeUInt32LE(head.length, 0);
  head.copy(body, 4);
  let o = 4 + head.length;
  const ifaceSums: Record<string, number[]> = {};
  for (let k = 0; k < ids.length; k++) {
    const sums = new Array<number>(WIDTH);
    for (let j = 0; j < WIDTH; j++) {
      const v = cols.column(k, j);
      if (!v) {
        sums[j] = 0;
        body[o++] = COL_ZERO;
        continue;
      }
      let ints = true;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const x = v[i]!;
        sum += x;
        if (!(Number.isSafeInteger(x) && x >= 0)) ints = false;
      }
      sums[j] = sum;
      if (ints) {
        body[o++] = COL_VARINT;
        for (let i = 0; i < n; i++) o = writeVarint(body, o, v[i]!);
      } else {
        body[o++] = COL_F64;
        for (let i = 0; i < n; i++) o = body.writeDoubleLE(v[i]!, o);
      }
    }
    ifaceSums[ids[k]!] = sums;
  }
  return { body: body.subarray(0, o), ifaceSums };
}

/**
 * One buffer for every chunk's uncompressed body (encoding and compressing are synchronous, so
 * the body is compressed before the next chunk overwrites it), instead of a fresh worst-case
 * buffer per chunk (~650 KB at 1000 interfaces). bench:hub did not show a difference beyond its
 * noise; it is kept because it costs nothing. A body past SCRATCH_MAX_BYTES (a rare huge chunk)
 * gets a buffer of its own, so one such chunk does not pin its size for the life of the process.
 */
const SCRATCH_MAX_BYTES = 8 * 1024 * 1024;
let scratch = Buffer.alloc(0);
function scratchOf(size: number): Buffer {
  if (size > SCRATCH_MAX_BYTES) return Buffer.allocUnsafe(size);
  if (scratch.length < size)
    scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX_BYTES, Math.ceil(size * 1.25)));
  return scratch;
}

/** Unsigned LEB128 of a safe integer (arithmetic, not bit operations: values pass 2^32). */
function writeVarint(buf: Buffer, at: number, x: number): number {
  let o = at;
  while (x >= 128) {
    buf[o++] = (x % 128) | 128;
    x = Math.floor(x / 128);
  }
  buf[o++] = x;
  return o;
}

const BROTLI_MODE_GENERIC = zlibConstants.BROTLI_MODE_GENERIC;
const BROTLI_MODE_TEXT = zlibConstants.BROTLI_MODE_TEXT;

function compress(data: Buffer | string, mode: number, quality: number): Buffer {
  return brotliCompressSync(data, {
    params: {
      [zlibConstants.BROTLI_PARAM_QUALITY]: quality,
      [zlibConstants.BROTLI_PARAM_MODE]: mode,
      [zlibConstants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  });
}

/**
 * Brotli at quality 4. Never the default (11): a 1000-interface topology took ~1 s at 11 and
 * blocked the event loop for every agent that connected (found by bench:hub).
 */
export function compressText(text: string): Buffer {
  return compress(text, BROTLI_MODE_TEXT, TEXT_BROTLI_QUALITY);
}

export function decompressText(data: Buffer): string {
  return inflate(data).toString('utf8');
}

/**
 * Bounds on one chunk, for the writers and the reader alike. The writers (pump.ts, replay import)
 * close a chunk when the next sample would pass either (chunkHasRoom), whatever its time span:
 * chunkMs may be up to 600 s and --max-ifaces has no ceiling. The reader refuses a chunk past them
 * as hostile or corrupt (in a fleet, anything that can publish to the chunk subject writes these
 * bytes): an all-zero column costs one byte whatever the sample count, so without a bound 12 KB
 * of brotli decoded to 2·10⁹ arrays and took the hub down.
 */
export const MAX_CHUNK_SAMPLES = 10_000;
export const MAX_CHUNK_ROWS = 1_000_000;

/** The rows (interfaces) a sample adds to its chunk. */
export function rowsOf(sample: Sample): number {
  let n = 0;
  for (const _ in sample.ifaces) n++;
  return n;
}

/** Whether a chunk of `samples` samples and `rows` rows takes one more sample of `more` rows. */
export function chunkHasRoom(samples: number, rows: number, more: number): boolean {
  return samples < MAX_CHUNK_SAMPLES && rows + more <= MAX_CHUNK_ROWS;
}

/** Decompressed bytes of a chunk or a topology (a brotli bomb stops here, not at Node's limit). */
const MAX_INFLATED_BYTES = 128 * 1024 * 1024;

function inflate(data: Buffer): Buffer {
  return brotliDecompressSync(data, { maxOutputLength: MAX_INFLATED_BYTES });
}

export type DecodedChunk = { samples: Sample[]; keyframes: Keyframe[] };

/**
 * Throws on a corrupt or hostile chunk; the store catches, logs and skips it so one bad row never
 * hides the rest of a recording. Every length is checked before anything is allocated for it.
 */
export function decodeChunk(codec: string, data: Buffer): DecodedChunk {
  if (codec === CHUNK_CODEC_V1) return decodeV1(data);
  if (codec !== CHUNK_CODEC) throw new Error(`unknown chunk codec "${codec}"`);
  const raw = inflate(data);
  if (raw.length < 4) throw new Error('chunk too short');
  const headLen = raw.readUInt32LE(0);
  if (headLen > raw.length - 4) throw new Error('chunk header runs past the chunk');
  const h = JSON.parse(raw.toString('utf8', 4, 4 + headLen)) as ChunkHeader;
  if (h?.v !== 2) throw new Error(`unknown chunk version ${String(h?.v)}`);
  const n = checkShape(h.t, h.e, h.rest, h.ids, h.p, h.k);
  let o = 4 + headLen;
  // Every column is at least its tag.
  if (raw.length - o < h.ids.length * WIDTH) throw new Error('chunk body shorter than its columns');
  const samples = skeletons(h.t, h.e, h.rest);
  const all = samples.map((_, i) => i);
  const col = new Float64Array(n);
  const rows: number[][] = [];
  for (let k = 0; k < h.ids.length; k++) {
    const at = h.p[k] ?? all;
    for (const si of at) rows[si] = new Array<number>(WIDTH);
    for (let j = 0; j < WIDTH; j++) {
      const tag = raw[o++];
      if (tag === COL_ZERO) col.fill(0);
      else if (tag === COL_VARINT) {
        for (let i = 0; i < n; i++) {
          let x = 0;
          let scale = 1;
          for (let bytes = 1; ; bytes++) {
            if (o >= raw.length) throw new Error('chunk ends inside a column');
            // 8 bytes carry 56 bits: the encoder never writes more for a safe integer.
            if (bytes > 8) throw new Error('varint too long');
            const b = raw[o++]!;
            x += (b & 127) * scale;
            if (b < 128) break;
            scale *= 128;
          }
          if (x > Number.MAX_SAFE_INTEGER) throw new Error('varint past 2^53');
          col[i] = x;
        }
      } else if (tag === COL_F64) {
        if (raw.length - o < 8 * n) throw new Error('chunk ends inside a column');
        for (let i = 0; i < n; i++) {
          col[i] = raw.readDoubleLE(o);
          o += 8;
        }
      } else throw new Error(`bad column tag ${String(tag)}`);
      for (const si of at) rows[si]![j] = col[si]!;
    }
    setRow(samples, at, h.ids[k]!, rows);
  }
  if (o !== raw.length) throw new Error('bytes after the last column');
  return { samples: checked(samples), keyframes: h.k };
}

/**
 * Checks the header's arrays against each other and the bounds, and returns the sample count.
 * `p` lists, per id, the strictly increasing indices of the samples the id is in (or null: all).
 */
function checkShape(t: unknown, e: unknown, rest: unknown, ids: unknown, p: unknown, k: unknown): number {
  if (!Array.isArray(t) || !Array.isArray(e) || !Array.isArray(rest))
    throw new Error('chunk without samples');
  const n = t.length;
  if (n > MAX_CHUNK_SAMPLES) throw new Error(`chunk of ${n} samples`);
  if (e.length !== n || rest.length !== n) throw new Error('chunk sample columns differ in length');
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(t[i]) || !Number.isFinite(e[i])) throw new Error('chunk sample time not a number');
    const r = rest[i];
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      throw new Error('chunk sample not an object');
  }
  if (!Array.isArray(ids) || !Array.isArray(p) || p.length !== ids.length || !Array.isArray(k)) {
    throw new Error('chunk ids and presence differ');
  }
  let rows = 0;
  for (let i = 0; i < ids.length; i++) {
    if (typeof ids[i] !== 'string') throw new Error('chunk id not a string');
    const at = p[i];
    if (at === null) rows += n;
    else {
      if (!Array.isArray(at)) throw new Error('chunk presence not a list');
      let last = -1;
      for (const si of at) {
        if (!Number.isInteger(si) || si <= last || si >= n) throw new Error('chunk presence out of order');
        last = si;
      }
      rows += at.length;
    }
    if (rows > MAX_CHUNK_ROWS) throw new Error(`chunk of more than ${MAX_CHUNK_ROWS} rows`);
  }
  return n;
}

/**
 * Each decoded sample held to the agent frame's own check (checkSample: the schema's acceptance):
 * a chunk whose sample lacks its softnet or tracing, or holds NaN or a negative counter, is refused
 * here rather than failing whatever reads it next (mergeSamples, the timeline, the judge).
 */
function checked(samples: Sample[]): Sample[] {
  return samples.map((s, i) => {
    const r = checkSample(s);
    if (!r.ok) throw new Error(`chunk sample ${i}${r.path}: ${r.message}`);
    return r.value;
  });
}

/** The samples without their counters; the rest first, so it cannot overwrite t or ifaces. */
function skeletons(t: number[], e: number[], rest: SampleRest[]): Sample[] {
  return t.map((ts, si) => ({ ...rest[si]!, t: ts, elapsedMs: e[si]!, ifaces: {} }));
}

/** `__proto__` is no interface name the agent frame check lets through; as a key it would set the prototype. */
function setRow(samples: Sample[], at: readonly number[], id: string, rows: number[][]): void {
  if (id === '__proto__') return;
  for (const si of at) samples[si]!.ifaces[id] = rows[si]!;
}

function decodeV1(data: Buffer): DecodedChunk {
  const body = JSON.parse(decompressText(data)) as ChunkBodyV1;
  if (body?.v !== 1) throw new Error(`unknown chunk version ${String(body?.v)}`);
  checkShape(body.t, body.e, body.rest, body.ids, body.p, body.k);
  if (!Array.isArray(body.c) || body.c.length !== body.ids.length) throw new Error('chunk columns differ');
  const samples = skeletons(body.t, body.e, body.rest);
  const all = samples.map((_, i) => i);
  body.ids.forEach((id, k) => {
    const cols = body.c[k]!;
    if (!Array.isArray(cols) || cols.length > WIDTH) throw new Error('chunk columns not a row of counters');
    const at = body.p[k] ?? all;
    const rows: number[][] = [];
    for (const si of at) rows[si] = cols.map((col) => (col === 0 ? 0 : Number(col[si] ?? 0)));
    setRow(samples, at, id, rows);
  });
  return { samples: checked(samples), keyframes: body.k };
}
