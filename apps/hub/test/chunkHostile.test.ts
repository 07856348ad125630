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
const header = (over: Record<string, unknown> = {}) => ({
  v: 2,
  t: [1000],
  e: [1000],
  ids: ['a'],
  p: [null],
  rest: [{}],
  k: [],
  ...over,
});

describe('CHUNK1: hostile chunks', () => {
  it('CHUNK1: a 12 KB chunk claiming 100 000 samples × 20 000 interfaces is refused, not decoded', () => {
    const n = 100_000;
    const ids = 20_000;
    const bomb = chunkOf(
      header({
        t: new Array(n).fill(0),
        e: new Array(n).fill(0),
        rest: new Array(n).fill({}),
        ids: Array.from({ length: ids }, (_, i) => `i${i}`),
        p: new Array(ids).fill(null),
      }),
      zeroColumns(ids),
    );
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(() => decodeChunk(CHUNK_CODEC, bomb)).toThrow(/samples|rows/);
  });

  it('CHUNK1: more rows than a chunk can hold are refused', () => {
    const n = 200;
    const ids = 6000;
    const big = chunkOf(
      header({
        t: new Array(n).fill(0),
        e: new Array(n).fill(0),
        rest: new Array(n).fill({}),
        ids: Array.from({ length: ids }, (_, i) => `i${i}`),
        p: new Array(ids).fill(null),
      }),
      zeroColumns(ids),
    );
    expect(() => decodeChunk(CHUNK_CODEC, big)).toThrow(/rows/);
  });

  it('CHUNK1: lengths that disagree are refused', () => {
    const cases: [string, Buffer][] = [
      [
        'header past the end',
        (() => {
          const b = Buffer.alloc(8);
          b.writeUInt32LE(1_000_000, 0);
          return brotliCompressSync(b);
        })(),
      ],
      ['times and elapsed differ', chunkOf(header({ e: [] }), zeroColumns(1))],
      ['presence past the samples', chunkOf(header({ p: [[0, 5]] }), zeroColumns(1))],
      [
        'presence repeated',
        chunkOf(header({ t: [1, 2], e: [1, 1], rest: [{}, {}], p: [[1, 1]] }), zeroColumns(1)),
      ],
      ['fewer columns than ids', chunkOf(header({ ids: ['a', 'b'], p: [null, null] }), zeroColumns(1))],
      ['bytes after the columns', chunkOf(header(), [...zeroColumns(1), 0, 0])],
      [
        'varint longer than 8 bytes',
        chunkOf(header(), [1, ...new Array(9).fill(0xff), 1, ...zeroColumns(1).slice(1)]),
      ],
      ['float column cut short', chunkOf(header(), [2, 0, 0, 0])],
      ['a sample that is no object', chunkOf(header({ rest: [5] }), zeroColumns(1))],
    ];
    for (const [what, data] of cases) expect(() => decodeChunk(CHUNK_CODEC, data), what).toThrow();
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
      header({ ids: ['__proto__', 'a'], p: [null, null], rest: [{ t: 5, ifaces: { x: [1] }, seq: 3 }] }),
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
