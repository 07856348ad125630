import { brotliCompressSync, brotliDecompressSync, constants as zlibConstants } from 'node:zlib';
import { IFACE_COUNTERS, type Keyframe, type Sample } from '@hopwatch/shared';

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
  return compressed(encodeChunkFrom(samples.length, (si) => samples[si]!, keyframes));
}

/** The chunk's bytes before compression (bench:hotpath compares compressors on them). */
export function encodeChunkBody(samples: readonly Sample[], keyframes: readonly Keyframe[]): Buffer {
  // A copy: the body is a view of the shared scratch buffer, overwritten by the next chunk.
  return Buffer.from(encodeChunkFrom(samples.length, (si) => samples[si]!, keyframes).body);
}

function compressed(c: { body: Buffer; ifaceSums: Record<string, number[]> }): EncodedChunk {
  return { data: compress(c.body, BROTLI_MODE_GENERIC, CHUNK_BROTLI_QUALITY), ifaceSums: c.ifaceSums };
}

/**
 * The same chunk from samples' JSON texts, parsing one at a time (the hub's write path);
 * `onSample` sees each parsed sample once (the store folds them into the chunk's summary).
 */
export function encodeChunkTexts(
  texts: readonly string[],
  keyframes: readonly Keyframe[],
  onSample: (s: Sample) => void = () => {},
): EncodedChunk {
  return compressed(
    encodeChunkFrom(
      texts.length,
      (si) => {
        const s = JSON.parse(texts[si]!) as Sample;
        onSample(s);
        return s;
      },
      keyframes,
    ),
  );
}

/**
 * Fills one Float64Array per interface (WIDTH × n): a chunk of 10 samples × 500 busy interfaces
 * would otherwise build 80 000 little arrays, all alive at once, which is what made young-
 * generation GC pauses long under load (bench:hub).
 */
function encodeChunkFrom(
  n: number,
  sampleAt: (si: number) => Sample,
  keyframes: readonly Keyframe[],
): { body: Buffer; ifaceSums: Record<string, number[]> } {
  // The body returned is a view of `scratch`: compress or copy it before encoding another chunk.
  const index = new Map<string, number>();
  const ids: string[] = [];
  const values: Float64Array[] = [];
  const present: Uint8Array[] = [];
  const t: number[] = [];
  const e: number[] = [];
  const rest: SampleRest[] = [];
  for (let si = 0; si < n; si++) {
    const { t: st, elapsedMs, ifaces, ...other } = sampleAt(si);
    t.push(st);
    e.push(elapsedMs);
    rest.push(other);
    for (const id in ifaces) {
      const row = ifaces[id]!;
      let k = index.get(id);
      if (k === undefined) {
        k = ids.length;
        index.set(id, k);
        ids.push(id);
        values.push(new Float64Array(WIDTH * n));
        present.push(new Uint8Array(n));
      }
      const v = values[k]!;
      for (let j = 0; j < WIDTH; j++) v[j * n + si] = row[j] ?? 0;
      present[k]![si] = 1;
    }
  }
  const p = present.map((at) => {
    if (at.every((x) => x === 1)) return null;
    const list: number[] = [];
    for (let i = 0; i < n; i++) if (at[i] === 1) list.push(i);
    return list;
  });
  const header: ChunkHeader = { v: 2, t, e, ids, p, rest, k: [...keyframes] };
  const head = Buffer.from(JSON.stringify(header));
  // Worst case: a tag and n float64s per column.
  const body = scratchOf(4 + head.length + ids.length * WIDTH * (1 + 8 * n));
  body.writeUInt32LE(head.length, 0);
  head.copy(body, 4);
  let o = 4 + head.length;
  const ifaceSums: Record<string, number[]> = {};
  for (let k = 0; k < ids.length; k++) {
    const v = values[k]!;
    const sums = new Array<number>(WIDTH);
    for (let j = 0; j < WIDTH; j++) {
      const off = j * n;
      let zero = true;
      let ints = true;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const x = v[off + i]!;
        sum += x;
        if (x !== 0) zero = false;
        if (!(Number.isSafeInteger(x) && x >= 0)) ints = false;
      }
      sums[j] = sum;
      // -0 is written as 0, as cols1's JSON text did.
      if (zero) body[o++] = COL_ZERO;
      else if (ints) {
        body[o++] = COL_VARINT;
        for (let i = 0; i < n; i++) o = writeVarint(body, o, v[off + i]!);
      } else {
        body[o++] = COL_F64;
        for (let i = 0; i < n; i++) o = body.writeDoubleLE(v[off + i]!, o);
      }
    }
    ifaceSums[ids[k]!] = sums;
  }
  return { body: body.subarray(0, o), ifaceSums };
}

/**
 * One buffer for every chunk's uncompressed body (encoding and compressing are synchronous, so
 * the body is compressed before the next chunk overwrites it): a fresh worst-case buffer per
 * chunk (~650 KB at 1000 interfaces) was garbage the collector had to chase 20 times a second.
 */
let scratch = Buffer.alloc(0);
function scratchOf(size: number): Buffer {
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.ceil(size * 1.25));
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
  return brotliDecompressSync(data).toString('utf8');
}

export type DecodedChunk = { samples: Sample[]; keyframes: Keyframe[] };

/**
 * Throws on a corrupt chunk; the store catches, logs and skips it so one bad row never hides
 * the rest of a recording. Our own rows are trusted after decompression (written by encodeChunk).
 */
export function decodeChunk(codec: string, data: Buffer): DecodedChunk {
  if (codec === CHUNK_CODEC_V1) return decodeV1(data);
  if (codec !== CHUNK_CODEC) throw new Error(`unknown chunk codec "${codec}"`);
  const raw = brotliDecompressSync(data);
  const headLen = raw.readUInt32LE(0);
  const h = JSON.parse(raw.toString('utf8', 4, 4 + headLen)) as ChunkHeader;
  if (h.v !== 2) throw new Error(`unknown chunk version ${String(h.v)}`);
  const n = h.t.length;
  const samples: Sample[] = h.t.map((t, si) => ({ t, elapsedMs: h.e[si]!, ifaces: {}, ...h.rest[si]! }));
  const all = samples.map((_, i) => i);
  let o = 4 + headLen;
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
          for (;;) {
            if (o >= raw.length) throw new Error('chunk ends inside a column');
            const b = raw[o++]!;
            x += (b & 127) * scale;
            if (b < 128) break;
            scale *= 128;
          }
          col[i] = x;
        }
      } else if (tag === COL_F64) {
        for (let i = 0; i < n; i++) {
          col[i] = raw.readDoubleLE(o);
          o += 8;
        }
      } else throw new Error(`bad column tag ${String(tag)}`);
      for (const si of at) rows[si]![j] = col[si]!;
    }
    for (const si of at) samples[si]!.ifaces[h.ids[k]!] = rows[si]!;
  }
  return { samples, keyframes: h.k };
}

function decodeV1(data: Buffer): DecodedChunk {
  const body = JSON.parse(decompressText(data)) as ChunkBodyV1;
  if (body.v !== 1) throw new Error(`unknown chunk version ${String(body.v)}`);
  const samples: Sample[] = body.t.map((t, si) => ({
    t,
    elapsedMs: body.e[si]!,
    ifaces: {},
    ...body.rest[si]!,
  }));
  body.ids.forEach((id, k) => {
    const cols = body.c[k]!;
    const at = body.p[k] ?? samples.map((_, i) => i);
    for (const si of at) {
      samples[si]!.ifaces[id] = cols.map((col) => (col === 0 ? 0 : col[si]!));
    }
  });
  return { samples, keyframes: body.k };
}
