import { decodeAgentMessage, IFACE_COUNTERS, type Sample } from '@hopwatch/shared';
import { describe, expect, it } from 'vitest';
import { ifacesOf } from '../src/state/rows.ts';
import { detach, SampleScanner } from '../src/ws/sampleScan.ts';
import { makeSample, row } from './helpers/data.ts';

/**
 * SCAN1–SCAN3 (issue 12): the agent's sample frames are read with their interface rows straight
 * into buffers (ws/sampleScan.ts) when they are in the agent's plain form; anything else goes to
 * decodeAgentMessage as before. The scanner may decline any frame, but a frame it reads must be
 * one the decoder accepts, with the same values.
 */
const T0 = 1_700_000_000_000;
const WIDTH = IFACE_COUNTERS.length;

/** The frame as the agent writes it (apps/agent stream/agent.ts sampleFrame). */
function frameOf(sample: Sample, seq = 1, backfill = false): string {
  return `{"type":"sample","seq":${seq},"backfill":${backfill},"sample":${JSON.stringify(sample)}}`;
}

/** The scanner's answer, plain (ifaces read through its getter), or null. */
function scanned(s: SampleScanner, text: string): unknown {
  const r = s.scan(text);
  return r === null ? null : JSON.parse(JSON.stringify(r.msg));
}

function decoded(text: string): unknown {
  const r = decodeAgentMessage(text);
  return r.ok ? JSON.parse(JSON.stringify(r.value)) : null;
}

/** Deterministic pseudo-random numbers (a test must fail the same way twice). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

const busy = (k: number) =>
  row({ rxBytes: 1500 * k, rxPackets: k, txBytes: 999_999_999_999_999, txPackets: 0 });

describe('sample frames read into buffers', () => {
  it('SCAN1: frames in the agent form read as the decoder reads them, as interfaces repeat, come, go and reorder', () => {
    const s = new SampleScanner();
    const series: Record<string, number[]>[] = [
      { 'ns1/a': busy(1), 'ns1/b': busy(2), c: busy(3) },
      { 'ns1/a': busy(4), 'ns1/b': busy(5), c: busy(6) },
      { 'ns1/a': busy(7), c: busy(8) },
      { c: busy(9), 'ns1/a': busy(10), 'ns2/é✓': busy(11) },
      {},
      { 'ns1/a': busy(12) },
      { 'ns1/a': busy(13), 'ns1/b': busy(14), c: busy(15), d: busy(16) },
    ];
    let prevIds: readonly string[] | null = null;
    for (const [i, ifaces] of series.entries()) {
      const text = frameOf(makeSample(T0 + i * 1000, ifaces, { elapsedMs: 1000.25 }), i, i % 2 === 0);
      const r = s.scan(text);
      expect(r, `frame ${i}`).not.toBeNull();
      expect(JSON.parse(JSON.stringify(r!.msg))).toEqual(decoded(text));
      expect(ifacesOf(r!.rows)).toEqual(ifaces);
      expect(Object.keys(r!.msg.sample)).toEqual(Object.keys(makeSample(0)));
      // The same ids array while they repeat (readers keep per-position state by identity).
      if (i === 1) expect(r!.rows.ids).toBe(prevIds);
      if (i !== 1 && i !== 0) expect(r!.rows.ids).not.toBe(prevIds);
      prevIds = r!.rows.ids;
    }
  });

  it('SCAN2: anything but the plain form is left to the decoder, which says what it always said', () => {
    const s = new SampleScanner();
    const good = makeSample(T0, { a: busy(1), b: busy(2) });
    const text = frameOf(good);
    expect(s.scan(text)).not.toBeNull();
    const variants: [string, string][] = [
      ['whitespace', JSON.stringify(JSON.parse(text), null, 1)],
      ['an escaped id', text.replace('"a":', '"a\\u0062":')],
      ['a quote in an id', text.replace('"a":', '"a\\"x":')],
      ['__proto__', text.replace('"a":', '"__proto__":')],
      ['an array-index id', text.replace('"a":', '"7":')],
      ['a duplicate id', text.replace('"b":', '"a":')],
      ['a negative counter', text.replace('[1500,', '[-1500,')],
      ['a fraction', text.replace('[1500,', '[1500.5,')],
      ['an exponent', text.replace('[1500,', '[15e2,')],
      ['a leading zero', text.replace('[1500,', '[01500,')],
      ['16 digits', text.replace('999999999999999', '9999999999999999')],
      ['a short row', text.replace('[1500,', '[')],
      ['a long row', text.replace('[1500,', '[1,1500,')],
      ['a second ifaces key', text.replace('"softnet":', '"ifaces":{},"softnet":')],
      ['ifaces elsewhere', text.replace('"snmp":{}', '"snmp":{"ifaces":{"x":1}}')],
      ['keys in another order', text.replace('"t":', '"tt":0,"t":')],
      ['not JSON after the rows', text.slice(0, -3)],
      ['a bad softnet', text.replace('"processed":10', '"processed":-10')],
      ['a bad type', text.replace('"type":"sample"', '"type":"samples"')],
      ['an object row', text.replace('"a":[', '"a":{"0":').replace(/\],"b"/, '},"b"')],
    ];
    for (const [what, v] of variants) {
      expect(v, what).not.toBe(text);
      expect(s.scan(v), what).toBeNull();
    }
    // Declined frames leave nothing behind: the next plain one reads as before.
    expect(scanned(s, text)).toEqual(decoded(text));
  });

  it('SCAN2: whatever a frame is mangled into, a frame read here is one the decoder accepts, with the same values', () => {
    const s = new SampleScanner();
    const random = rng(12);
    const chars = '0123456789,:[]{}"\\ -.eEa/_';
    let read = 0;
    for (let i = 0; i < 3000; i++) {
      const ifaces: Record<string, number[]> = {};
      for (let k = 0; k < 4; k++) ifaces[`ns${k % 2}/if${k}`] = busy(k * 7 + i);
      let text = frameOf(makeSample(T0 + i, ifaces), i);
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * text.length);
        const c = chars[Math.floor(random() * chars.length)]!;
        const op = random();
        text =
          op < 0.4
            ? text.slice(0, at) + c + text.slice(at + 1)
            : op < 0.7
              ? text.slice(0, at) + c + text.slice(at)
              : text.slice(0, at) + text.slice(at + 1);
      }
      const mine = scanned(s, text);
      if (mine === null) continue;
      read += 1;
      expect(mine, text).toEqual(decoded(text));
    }
    // Some mangled frames stay valid (a digit for a digit): the property was tested on them.
    expect(read).toBeGreaterThan(100);
  });

  it('SCAN3: a frame held for later keeps its own rows when the scanner reads the next one', () => {
    const s = new SampleScanner();
    const first = s.scan(frameOf(makeSample(T0, { a: busy(1) })))!;
    const held = detach(first);
    s.scan(frameOf(makeSample(T0 + 1000, { a: busy(2) })));
    expect(held.rows.values.subarray(0, WIDTH)).toEqual(Float64Array.from(busy(1)));
    expect(held.msg.sample.ifaces).toEqual({ a: busy(1) });
  });

  it('SCAN4: a sample whose ifaces were not read before the next frame refuses to be read, even when that frame is declined', () => {
    const s = new SampleScanner();
    const first = s.scan(frameOf(makeSample(T0, { a: busy(1) })))!;
    const read = s.scan(frameOf(makeSample(T0 + 1000, { a: busy(2) })))!;
    expect(read.msg.sample.ifaces).toEqual({ a: busy(2) });
    expect(() => first.msg.sample.ifaces).toThrow(/after the next frame/);
    // Declined part way through its rows (the values of `a` already written over): the sample
    // read before it keeps what it read, nothing unread is handed out.
    const pending = s.scan(frameOf(makeSample(T0 + 2000, { a: busy(3) })))!;
    expect(s.scan(frameOf(makeSample(T0 + 3000, { a: busy(4) })).replace(/\]\}/, ',1]}'))).toBeNull();
    expect(read.msg.sample.ifaces).toEqual({ a: busy(2) });
    expect(() => pending.msg.sample.ifaces).toThrow(/after the next frame/);
  });
});
