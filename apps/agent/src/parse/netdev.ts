import { IFACE_COUNTERS } from '@hopwatch/shared';
import { type Counter, parseCounter } from '../util/counter.ts';

const COLUMNS = IFACE_COUNTERS.length;
const SPACE = 32;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/**
 * /proc/net/dev (or /proc/PID/net/dev): two header lines, then `NAME: 16 counters` per
 * interface in IFACE_COUNTERS order. The kernel prints `%6s:%8llu`, so a long name or a wide
 * counter leaves no space after the colon ("veth1234:123456789"); names cannot contain ':' (the
 * kernel's dev_valid_name forbids it), so the first colon ends the name.
 *
 * A hand scanner rather than split(/\s+/): this runs for every interface every second, and
 * numbers are built digit by digit without an intermediate string while they stay exact.
 */
export function parseNetDev(text: string): Map<string, Counter[]> {
  const rows = new Map<string, Counter[]>();
  let pos = text.indexOf('\n', text.indexOf('\n') + 1) + 1;
  if (pos === 0) return rows;
  const end = text.length;
  while (pos < end) {
    let lineEnd = text.indexOf('\n', pos);
    if (lineEnd < 0) lineEnd = end;
    const colon = text.indexOf(':', pos);
    if (colon < 0 || colon > lineEnd) {
      pos = lineEnd + 1;
      continue;
    }
    const name = text.slice(pos, colon).trim();
    const row: Counter[] = [];
    let i = colon + 1;
    while (i < lineEnd && row.length < COLUMNS) {
      while (i < lineEnd && text.charCodeAt(i) === SPACE) i++;
      const start = i;
      let value = 0;
      while (i < lineEnd) {
        const c = text.charCodeAt(i);
        if (c < DIGIT_0 || c > DIGIT_9) break;
        value = value * 10 + (c - DIGIT_0);
        i++;
      }
      if (i === start) break;
      row.push(i - start > 15 ? parseCounter(text.slice(start, i)) : value);
    }
    if (name !== '' && row.length === COLUMNS) rows.set(name, row);
    pos = lineEnd + 1;
  }
  return rows;
}
