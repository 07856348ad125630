import { decodeHubToUi } from '@hopwatch/shared';
import { describe, expect, it } from 'vitest';
import labBacklog from '../../../packages/shared/test/fixtures/real/lab-backlog.json' with { type: 'json' };
import ovsFlowDrop from '../../../packages/shared/test/fixtures/real/ovs-flow-drop.json' with {
  type: 'json',
};
import { MAX_FRAME_BYTES } from '@hopwatch/shared/protocol/constants';
import { decodeSampleFrame } from '../src/judge/decodeSample.ts';

/**
 * LOAD5: the judge worker's check of the hub's `sample` frames (judge/decodeSample.ts) against the
 * wire's zod schema: the same verdict and value on real samples and on the frame's own fields
 * made hostile (the sample inside is shared's checkSample, held to SampleSchema field by field by
 * PROTO9 in packages/shared/test/sampleFrame.test.ts).
 */
type Json = Record<string, unknown>;
const HOSTILE: unknown[] = [null, '', 'x', 0, -1, 1.5, 2 ** 53, true, [], {}, { a: 1 }];

function same(raw: string): void {
  const zod = decodeHubToUi(raw);
  const mine = decodeSampleFrame(raw);
  const zodOk = zod.ok && zod.value.type === 'sample';
  expect(mine.ok, `${raw.slice(0, 300)}\nzod: ${zod.ok ? zod.value.type : zod.error}`).toBe(zodOk);
  if (mine.ok && zod.ok) expect(mine.value).toStrictEqual(zod.value);
}

const samples = (x: { samples: unknown[] }) => structuredClone(x.samples) as Json[];

describe('the sample frames the judge worker checks by hand (judge/decodeSample.ts)', () => {
  it('LOAD5: real samples (a lab host, an OVS host) decode to what zod gives', () => {
    for (const sample of [...samples(labBacklog), ...samples(ovsFlowDrop)])
      same(JSON.stringify({ type: 'sample', host: 'h', merged: 1, sample }));
  });

  it("LOAD5: the frame's fields and the sample's made hostile in turn: the same verdict as zod", () => {
    const sample = samples(labBacklog)[0]!;
    const msg: Json = { type: 'sample', host: 'h', merged: 2, sample };
    let n = 0;
    for (const target of [msg, sample])
      for (const key of [...Object.keys(target), 'unknownKey']) {
        const had = Object.hasOwn(target, key);
        const old = target[key];
        delete target[key];
        same(JSON.stringify(msg));
        for (const v of HOSTILE) {
          target[key] = v;
          same(JSON.stringify(msg));
          n++;
        }
        if (had) target[key] = old;
        else delete target[key];
      }
    expect(n).toBeGreaterThan(100);
    const row = Object.keys(sample.ifaces as Json)[0]!;
    (sample.ifaces as Record<string, unknown[]>)[row]![3] = -1;
    same(JSON.stringify(msg));
    for (const raw of ['{not json', '[]', 'null', '{}', '{"type":"topology"}']) same(raw);
  });

  it('LOAD5: a bad frame says where, as the engine logs it', () => {
    const r = decodeSampleFrame(JSON.stringify({ type: 'sample', host: 'h', merged: 0, sample: {} }));
    expect(r).toEqual({ ok: false, error: 'invalid message at merged: expected number to be >0' });
    const s = decodeSampleFrame(JSON.stringify({ type: 'sample', host: 'h', merged: 1, sample: { t: -1 } }));
    expect(s.ok ? '' : s.error).toMatch(/^invalid message at sample\.t: /);
  });

  it('LOAD12: a binary frame (UTF-8 bytes) decodes as its text does; too big or not UTF-8 is refused before parsing', () => {
    const utf8 = (t: string) => new TextEncoder().encode(t).buffer as ArrayBuffer;
    for (const sample of samples(labBacklog).slice(0, 3)) {
      // A host name beyond ASCII: the bytes are decoded, not read as Latin-1.
      const raw = JSON.stringify({ type: 'sample', host: 'hôte-ü', merged: 1, sample });
      expect(decodeSampleFrame(utf8(raw))).toStrictEqual(decodeSampleFrame(raw));
      expect(decodeSampleFrame(utf8(raw)).ok).toBe(true);
    }
    const huge = new ArrayBuffer(MAX_FRAME_BYTES + 1);
    expect(decodeSampleFrame(huge)).toEqual({
      ok: false,
      error: `frame of ${MAX_FRAME_BYTES + 1} bytes exceeds ${MAX_FRAME_BYTES}`,
    });
    expect(decodeSampleFrame(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]).buffer)).toEqual({
      ok: false,
      error: 'a binary frame that is not UTF-8 text',
    });
  });
});
