import { IFACE_COUNTERS, MAX_FRAME_BYTES } from '@hopwatch/shared';
import { checkSampleFrame, type SampleMessage } from '@hopwatch/shared/protocol/sampleFrame';
import { type IfaceRows, ifacesOf, restOf } from '../state/rows.ts';

const WIDTH = IFACE_COUNTERS.length;
/** Digits of a counter read here: below 10^15, so x·10 + d is exact, as JSON.parse's double is. */
const MAX_DIGITS = 15;
/**
 * The agent writes its sample frames in this order (apps/agent stream/agent.ts sampleFrame and
 * collector.ts): nothing before `ifaces` can hold a string, an object or an array, so the
 * `"ifaces":{` that ends this prefix is the sample's own.
 */
const PREFIX =
  /^\{"type":"sample","seq":[^,{}[\]"]*,"backfill":[a-z]*,"sample":\{"t":[^,{}[\]"]*,"elapsedMs":[^,{}[\]"]*,"ifaces":\{/;

export interface ScannedSample {
  msg: SampleMessage;
  rows: IfaceRows;
}

/**
 * The agent's `sample` frame read with its interface rows straight into an IfaceRows (issue 12):
 * JSON.parse of a 1000-interface frame makes ~500–1000 arrays of 16 numbers that the hub copies
 * into its columns and drops at once, and parsing them was the largest single cost of a hub
 * replica (a fifth of its CPU). Here the `ifaces` object is read by hand into one reused
 * Float64Array, ids that repeat the previous frame's (by position) are not even made as strings,
 * and the rest of the frame (a few KB) goes through JSON.parse and the frame check as before.
 *
 * Only the agent's own plain form is read this way: no whitespace, ids without escapes, counters
 * written as integers below 10^15, the keys in the agent's order, nothing else called "ifaces"
 * in the frame. Anything else — every hostile frame included — returns null, and the caller
 * decodes the frame as before (decodeAgentMessage), which accepts and refuses exactly what it
 * did; so this path accepts only frames that one accepts, with the same values
 * (test/sampleScan.test.ts runs both over the same frames).
 *
 * `values` is this scanner's buffer, overwritten by the next frame: the caller copies what it
 * keeps before then (HubCore.onSample does).
 */
export class SampleScanner {
  private ids: readonly string[] = [];
  private values = new Float64Array(0);
  /** Moves with every frame offered: a sample's lazy `ifaces` is valid only while it has not. */
  private generation = 0;

  scan(text: string): ScannedSample | null {
    const generation = ++this.generation;
    if (text.length > MAX_FRAME_BYTES) return null;
    const m = PREFIX.exec(text);
    if (!m) return null;
    const open = m[0].length - 1;
    const close = this.rows(text, open + 1);
    if (close < 0) return null;
    // Nothing after the rows may be called "ifaces" either (a duplicate key, a nested one).
    if (text.indexOf('"ifaces"', close) >= 0) return null;
    let data: unknown;
    try {
      data = JSON.parse(`${text.slice(0, open)}{}${text.slice(close + 1)}`);
    } catch {
      return null;
    }
    const r = checkSampleFrame(data);
    if (!r.ok) return null;
    const rows: IfaceRows = { ids: this.ids, values: this.values };
    const sample = r.value.sample;
    // What reads `ifaces` (a watching browser's JSON, tests) gets it, built on first read from
    // the rows: read it before the next frame, as every reader in the hub does (onSample).
    let built: SampleMessage['sample']['ifaces'] | null = null;
    Object.defineProperty(sample, 'ifaces', {
      enumerable: true,
      configurable: true,
      get: () => {
        // Read late, the buffer would hold another frame's counters (or a declined frame's
        // partial ones): say so loudly rather than hand out wrong numbers.
        if (built === null && generation !== this.generation)
          throw new Error("a scanned sample's ifaces were read after the next frame came (ws/sampleScan.ts)");
        built ??= ifacesOf(rows);
        return built;
      },
      set: (v: SampleMessage['sample']['ifaces']) => {
        built = v;
      },
    });
    return { msg: r.value, rows };
  }

  /**
   * Reads the rows of the `ifaces` object whose body starts at `p` into this.ids / this.values;
   * returns the index of its closing brace, or -1 for anything but the plain form (the ids then
   * are this scanner's previous ones; the values may be partly overwritten, which is why a
   * previous sample's lazy `ifaces` refuses to be read once another frame was offered).
   */
  private rows(text: string, p: number): number {
    const prev = this.ids;
    let ids: string[] | null = null;
    let values = this.values;
    let n = 0;
    let end = p;
    if (text.charCodeAt(p) !== 125 /* } */) {
      for (;;) {
        if (text.charCodeAt(p) !== 34 /* " */) return -1;
        p += 1;
        const same = ids === null ? prev[n] : undefined;
        if (same !== undefined && text.startsWith(same, p) && text.charCodeAt(p + same.length) === 34) {
          p += same.length + 1;
        } else {
          const q = text.indexOf('"', p);
          if (q < 0) return -1;
          const id = text.slice(p, q);
          if (!plainId(id)) return -1;
          ids ??= prev.slice(0, n);
          // A copy, not a slice of the frame: a kept id must not keep a 48 KB frame alive.
          ids.push(JSON.parse(`"${id}"`) as string);
          p = q + 1;
        }
        if (text.charCodeAt(p) !== 58 /* : */ || text.charCodeAt(p + 1) !== 91 /* [ */) return -1;
        p += 2;
        if (values.length < (n + 1) * WIDTH) {
          const grown = new Float64Array(Math.max(64, (n + 1) * 2) * WIDTH);
          grown.set(values.subarray(0, n * WIDTH));
          values = grown;
        }
        const base = n * WIDTH;
        for (let j = 0; j < WIDTH; j++) {
          let c = text.charCodeAt(p);
          let x = 0;
          let digits = 0;
          if (c === 48 /* 0 */) {
            p += 1;
            c = text.charCodeAt(p);
            digits = 1;
          } else {
            while (c >= 48 && c <= 57) {
              x = x * 10 + (c - 48);
              digits += 1;
              p += 1;
              c = text.charCodeAt(p);
            }
          }
          if (digits === 0 || digits > MAX_DIGITS) return -1;
          values[base + j] = x;
          if (c !== (j < WIDTH - 1 ? 44 /* , */ : 93) /* ] */) return -1;
          p += 1;
        }
        n += 1;
        const c = text.charCodeAt(p);
        if (c === 125 /* } */) {
          end = p;
          break;
        }
        if (c !== 44 /* , */) return -1;
        p += 1;
      }
    }
    if (ids === null && prev.length !== n) ids = prev.slice(0, n);
    // Ids other than the previous frame's: each once (JSON.parse keeps a repeated key's last
    // value in the first one's place; the decoder is left to say so).
    if (ids !== null && new Set(ids).size !== ids.length) return -1;
    if (ids !== null) this.ids = ids;
    this.values = values;
    return end;
  }
}

/**
 * An id JSON.parse reads as the same characters and a record keeps in text order: no escapes or
 * control characters, not `__proto__` (skipped by the check), not an array index (which an
 * object puts first, in numeric order).
 */
function plainId(id: string): boolean {
  if (id === '__proto__' || /^(0|[1-9][0-9]*)$/.test(id)) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 32 || c === 92 /* \ */) return false;
  }
  return true;
}

/** For callers that hold a frame for later (HubCore is not ready for it yet): rows of its own. */
export function detach(s: ScannedSample): ScannedSample {
  const rows: IfaceRows = { ids: s.rows.ids, values: s.rows.values.slice(0, s.rows.ids.length * WIDTH) };
  const { t, elapsedMs } = s.msg.sample;
  const sample = { t, elapsedMs, ifaces: ifacesOf(rows), ...restOf(s.msg.sample) };
  return { msg: { ...s.msg, sample }, rows };
}
