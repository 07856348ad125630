/**
 * CHUNK1: a corrupt or hostile chunk is refused with an error before the decoder allocates for
 * it. In a fleet, anything that can publish to the chunk subject writes these bytes; the store
 * and the fleet reads catch the error, log it and skip the chunk.
 */
import { brotliCompressSync, constants } from 'node:zlib';
import { IFACE_COUNTERS } from '@hopwatch/shared';
import { describe, expect, it } from 'vitest';
import { CHUNK_CODEC, decodeChunk, encodeChunk } from '../src/store/chunk.ts';
import { makeSample, row } from './helpers/data.ts';

const WIDTH = IFACE_COUNTERS.length;

/** A cols2 body from a header object and the column bytes after it. */
function chunkOf(header: unknown, columns: Buffer | number[] = []): Buffer {
  const head = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(head.length, 0);
  return brotliCompressSync(Buffer.concat([len, head, Buffer.from(columns)]));
}

const zeroColumns = (ids: number) => new Array<number>(ids * WIDTH).fill(0);
/** A sample's non-counter part as the agent sends it. */
const { t: _t, elapsedMs: _e, ifaces: _i, ...REST } = makeSample(1000);
/** One float64 column (tag 2) of one sample holding x, then the interface's other 15 zero columns. */
const floatColumn = (x: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x, 0);
  return [2, ...b, ...zeroColumns(1).slice(1)];
};
/** n samples × ids interfaces, every column zero: one byte a column, whatever n is. */
const wideChunk = (n: number, ids: number) =>
  chunkOf(
    header({
      t: new Array(n).fill(0),
      e: new Array(n).fill(0),
      rest: new Array(n).fill(REST),
      ids: Array.from({ length: ids }, (_, i) => `i${i}`),
      p: new Array(ids).fill(null),
    }),
    zeroColumns(ids),
  );
const header = (over: Record<string, unknown> = {}) => ({
  v: 2,
  t: [1000],
  e: [1000],
  ids: ['a'],
  p: [null],
  rest: [REST],
  k: [],
  ...over,
});

describe('CHUNK1: hostile chunks', () => {
  it('CHUNK1: a chunk of a few KB claiming 100 000 samples × 20 000 interfaces is refused, not decoded', () => {
    const bomb = wideChunk(100_000, 20_000);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(() => decodeChunk(CHUNK_CODEC, bomb)).toThrow(/samples|rows/);
  });

  it('CHUNK1: more rows than a chunk can hold are refused', () => {
    expect(() => decodeChunk(CHUNK_CODEC, wideChunk(200, 6000))).toThrow(/rows/);
  });

  it('CHUNK1: lengths that disagree are refused', () => {
    const cases: [string, Buffer, RegExp][] = [
      [
        'header past the end',
        (() => {
          const b = Buffer.alloc(8);
          b.writeUInt32LE(1_000_000, 0);
          return brotliCompressSync(b);
        })(),
        /header runs past/,
      ],
      ['times and elapsed differ', chunkOf(header({ e: [] }), zeroColumns(1)), /differ in length/],
      [
        'presence past the samples',
        chunkOf(header({ p: [[0, 5]] }), zeroColumns(1)),
        /presence out of order/,
      ],
      [
        'presence repeated',
        chunkOf(header({ t: [1, 2], e: [1, 1], rest: [REST, REST], p: [[1, 1]] }), zeroColumns(1)),
        /presence out of order/,
      ],
      [
        'fewer columns than ids',
        chunkOf(header({ ids: ['a', 'b'], p: [null, null] }), zeroColumns(1)),
        /shorter than its columns/,
      ],
      ['bytes after the columns', chunkOf(header(), [...zeroColumns(1), 0, 0]), /bytes after/],
      [
        'varint longer than 8 bytes',
        chunkOf(header(), [1, ...new Array(9).fill(0xff), 1, ...zeroColumns(1).slice(1)]),
        /varint too long/,
      ],
      [
        'float column cut short',
        chunkOf(header(), [...zeroColumns(1).slice(1), 2, 0, 0, 0]),
        /inside a column/,
      ],
      ['a sample that is no object', chunkOf(header({ rest: [5] }), zeroColumns(1)), /not an object/],
      [
        'a sample without its softnet',
        chunkOf(header({ rest: [{ ...REST, softnet: undefined }] }), zeroColumns(1)),
        /chunk sample 0\.softnet/,
      ],
      ['a NaN counter', chunkOf(header(), floatColumn(Number.NaN)), /chunk sample 0\.ifaces\.a/],
      ['a negative counter', chunkOf(header(), floatColumn(-1)), /chunk sample 0\.ifaces\.a/],
    ];
    for (const [what, data, why] of cases) expect(() => decodeChunk(CHUNK_CODEC, data), what).toThrow(why);
  });

  it('CHUNK1: a brotli bomb stops at the inflate bound', () => {
    // 200 MB of zeros (quality 0: compressing it at the default takes seconds).
    const bomb = brotliCompressSync(Buffer.alloc(200 * 1024 * 1024), {
      params: { [constants.BROTLI_PARAM_QUALITY]: 0 },
    });
    expect(() => decodeChunk(CHUNK_CODEC, bomb)).toThrow();
  });

  it('CHUNK1: the rest of a sample cannot overwrite its time or counters, and __proto__ sets no prototype', () => {
    const data = chunkOf(
      header({
        ids: ['__proto__', 'a'],
        p: [null, null],
        rest: [{ ...REST, t: 5, ifaces: { x: [1] }, seq: 3 }],
      }),
      zeroColumns(2),
    );
    const [s] = decodeChunk(CHUNK_CODEC, data).samples;
    expect(s!.t).toBe(1000);
    expect(Object.keys(s!.ifaces)).toEqual(['a']);
    expect(Object.getPrototypeOf(s!.ifaces)).toBe(Object.prototype);
  });

  it('CHUNK1: what the encoder writes still decodes (the checks refuse nothing real)', () => {
    const samples = [
      makeSample(1000, { a: row({ rxBytes: 1 }), b: row({ rxBytes: 2 ** 53 - 1, txBytes: 0.5 }) }),
      makeSample(2000, { a: row({ rxPackets: 4 }) }),
    ];
    expect(decodeChunk(CHUNK_CODEC, encodeChunk(samples, [])).samples).toEqual(samples);
  });
});
