import { IFACE_COUNTERS } from '@hopwatch/shared/protocol/constants';
import { type Counter, parseCounter } from '../util/counter.ts';

const COLUMNS = IFACE_COUNTERS.length;
const SPACE = 32;
const DIGIT_0 = 48;
const DIGIT_9 = 57;
/** Digits beyond which a decimal may exceed 2^53 and is parsed exactly instead. */
const SAFE_DIGITS = 15;

/** Scratch row the scanner fills before deciding whether a new array is needed at all. */
const scratch: Counter[] = new Array(COLUMNS).fill(0);

/**
 * /proc/net/dev (or /proc/PID/net/dev): two header lines, then `NAME: 16 counters` per
 * interface in IFACE_COUNTERS order. The kernel prints `%6s:%8llu`, so a long name or a wide
 * counter leaves no space after the colon ("veth1234:123456789"); names cannot contain ':' (the
 * kernel's dev_valid_name forbids it), so the first colon ends the name.
 *
 * The rows as a map, by name in file order. When `previous` holds an equal row for a name, that
 * same array is in the map, and when every row and name is as in `previous`, `previous` itself is
 * returned. The sampler does not use this map: it takes the rows one by one from
 * scanNetDevBytes, which this is made on (one scanner for both).
 */
export function parseNetDev(
  text: string,
  previous?: ReadonlyMap<string, Counter[]>,
): ReadonlyMap<string, Counter[]> {
  return parseNetDevBytes(Buffer.from(text, 'latin1'), previous);
}

const NEWLINE = 10;
/**
 * The typed array's own indexOf, also on a Buffer: a V8 builtin, where Buffer's is JavaScript
 * that checks its arguments first (445 against 146 ns a call under the agent's --no-opt).
 */
const find = Uint8Array.prototype.indexOf;
const COLON = 58;

/** The same over the raw bytes of the file. */
export function parseNetDevBytes(
  bytes: Uint8Array,
  previous?: ReadonlyMap<string, Counter[]>,
): ReadonlyMap<string, Counter[]> {
  const rows = new Map<string, Counter[]>();
  let same = previous !== undefined;
  const previousNames = previous === undefined ? [] : [...previous.keys()];
  const names = scanNetDevBytes(bytes, previousNames, (name, values) => {
    const before = previous?.get(name);
    if (before !== undefined && sameRow(before, values)) rows.set(name, before);
    else {
      rows.set(name, values.slice());
      same = false;
    }
  });
  // The scan hands back the very names array it was given when every name came as before.
  return same && names === previousNames ? (previous as ReadonlyMap<string, Counter[]>) : rows;
}

/**
 * Interface names are bytes; iproute2's JSON (which discovery reads) is decoded as UTF-8, so a
 * name with a byte above 0x7f is decoded the same way here or the two would never match.
 */
function nameOf(bytes: Uint8Array, start: number, end: number): string {
  for (let k = start; k < end; k++) {
    if (bytes[k]! > 0x7f)
      return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
  }
  return latin1(bytes, start, end);
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
}

/**
 * Whether `a` from `aAt` and `b` from `bAt` hold the same `length` bytes. Two plain views and the
 * static Buffer.compare: `buf.compare(target, start, end, ...)` checks its four offsets through
 * node's argument wrappers, each making an array (~430 bytes and ~0.9 µs a call without the
 * optimising compiler, against ~210 bytes and ~0.3 µs), and it runs for every line of a
 * namespace that moved.
 */
function sameSpan(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, length: number): boolean {
  return (
    Buffer.compare(
      new Uint8Array(a.buffer, a.byteOffset + aAt, length),
      new Uint8Array(b.buffer, b.byteOffset + bAt, length),
    ) === 0
  );
}

function sameName(bytes: Uint8Array, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (bytes[start + k] !== name.charCodeAt(k)) return false;
  return true;
}

function sameRow(row: Counter[], values: Counter[]): boolean {
  for (let k = 0; k < COLUMNS; k++) if (row[k] !== values[k]) return false;
  return true;
}

/**
 * What the scanner may skip: the previous read's bytes, and `same(name)`, asked for a line that
 * reads byte for byte as the line at its place in `bytes` (so its numbers are those the previous
 * scan gave for that name); it returns true when it kept that row, false to have it parsed anyway.
 */
export interface NetDevPrevious {
  bytes: Uint8Array;
  same: (name: string) => boolean;
}

/**
 * The scanner of /proc/net/dev's bytes (format above), without building a map: `row(name, values)` is called for
 * each well-formed interface line, `values` a scratch array valid only during the call (copy what
 * you keep). The sampler matches rows to interface ids as they come, so an active namespace costs
 * one map of totals a sample instead of a map of rows and then a map of totals (SPEC COL8).
 * Names are taken from `names` (the previous scan's, in file order) when the bytes match; the
 * names of this scan are returned, the very same array when they did not change.
 *
 * With `previous`, a line equal to the previous read's line at the same place (compared natively,
 * line by line) is handed to `previous.same` instead of being parsed: in the host namespace of a
 * busy hypervisor a few interfaces move each second and a hundred taps do not (SPEC COL10).
 */
export function scanNetDevBytes(
  bytes: Uint8Array,
  names: readonly string[],
  row: (name: string, values: Counter[]) => void,
  previous?: NetDevPrevious,
): readonly string[] {
  let out: string[] | null = null;
  let n = 0;
  const end = bytes.length;
  let pos = find.call(bytes, NEWLINE);
  pos = pos < 0 ? -1 : find.call(bytes, NEWLINE, pos + 1);
  if (pos < 0) return names.length === 0 ? names : [];
  pos++;
  // The previous read's line at the same place, followed in step (-1: none left to compare).
  const before = previous?.bytes;
  let prevPos = before === undefined ? -1 : find.call(before, NEWLINE);
  if (before !== undefined && prevPos >= 0) {
    prevPos = find.call(before, NEWLINE, prevPos + 1);
    if (prevPos >= 0) prevPos++;
  }
  while (pos < end) {
    let lineEnd = find.call(bytes, NEWLINE, pos);
    if (lineEnd < 0) lineEnd = end;
    let unchanged = false;
    if (before !== undefined && prevPos >= 0 && prevPos < before.length) {
      let prevEnd = find.call(before, NEWLINE, prevPos);
      if (prevEnd < 0) prevEnd = before.length;
      unchanged = prevEnd - prevPos === lineEnd - pos && sameSpan(before, prevPos, bytes, pos, lineEnd - pos);
      prevPos = prevEnd + 1;
    }
    const colon = find.call(bytes, COLON, pos);
    if (colon < 0 || colon > lineEnd) {
      pos = lineEnd + 1;
      continue;
    }
    let nameStart = pos;
    while (nameStart < colon && bytes[nameStart] === SPACE) nameStart++;
    const expected = out === null ? names[n] : undefined;
    const name =
      expected !== undefined && sameName(bytes, nameStart, colon, expected)
        ? expected
        : nameOf(bytes, nameStart, colon);
    if (unchanged && name !== '' && previous!.same(name)) {
      // Counted as a row: it was one last time (same bytes), and `same` kept it.
      pos = lineEnd + 1;
      if (out === null && name !== expected) out = names.slice(0, n);
      if (out !== null) out.push(name);
      n++;
      continue;
    }
    let count = 0;
    let i = colon + 1;
    while (i < lineEnd && count < COLUMNS) {
      while (i < lineEnd && bytes[i] === SPACE) i++;
      const start = i;
      let value = 0;
      while (i < lineEnd) {
        const c = bytes[i]!;
        if (c < DIGIT_0 || c > DIGIT_9) break;
        value = value * 10 + (c - DIGIT_0);
        i++;
      }
      if (i === start) break;
      scratch[count++] = i - start > SAFE_DIGITS ? parseCounter(latin1(bytes, start, i)) : value;
    }
    pos = lineEnd + 1;
    if (name === '' || count !== COLUMNS) continue;
    if (out === null && name !== expected) out = names.slice(0, n);
    if (out !== null) out.push(name);
    n++;
    row(name, scratch);
  }
  if (out === null && n !== names.length) out = names.slice(0, n);
  return out ?? names;
}
