/**
 * /proc/kallsyms: `ADDRESS TYPE NAME[\t[MODULE]]`, one symbol a line, not sorted as a whole
 * (module symbols follow the core kernel's). Needed only where the kernel prints a drop location
 * as an address: skb:kfree_skb's `location=%p` on the kernels between drop reasons (5.17) and
 * the `%pS` symbol format, RHEL 9's 5.14 backport among them. The drop rules match function
 * names (`nf_hook_slow`, `br_*`, `tcp_*`), so an address has to become its function.
 *
 * The file is 5–15 MB (120 000+ lines): it is scanned in chunks, as bytes, for the few addresses
 * wanted, and never kept. A string per line made the first version take 240 ms and 9 MB here;
 * numbers read from the bytes in place take a fraction of that (bench/kallsyms.ts).
 */

/** A drop site is inside a function: an address farther than this from a symbol is not its. */
const MAX_OFFSET = 0x40000;
const HEX_WIDTH = 16;
const NEWLINE = 10;
const SPACE = 32;
const TAB = 9;
const ZERO = 48;
/** t/T: text; w/W: weak symbols, functions too on x86. */
const TEXT_TYPES = new Set([116, 84, 119, 87]);

/** `ffffffff81ea7d83` / `0xffffffff81ea7d83` → 16 lowercase hex digits; null if not an address. */
export function normalizeAddress(text: string): string | null {
  const hex = text.startsWith('0x') ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) return null;
  return hex.toLowerCase().padStart(HEX_WIDTH, '0');
}

interface Best {
  hi: number;
  lo: number;
  name: string;
}

/**
 * Finds, for each wanted address, the text symbol at or below it (the function it is in).
 * Each line's address is read from the bytes into two 32-bit halves (no string, no BigInt) and
 * compared as numbers; a name becomes a string only when it beats the best one at the end of a
 * chunk. Addresses printed as 0 (kptr_restrict without CAP_SYSLOG) match nothing.
 */
export class KallsymsScan {
  private readonly hi: number[];
  private readonly lo: number[];
  private readonly best: (Best | null)[];
  private carry: Buffer = Buffer.alloc(0);

  /** `addresses` already normalized (normalizeAddress). */
  constructor(private readonly addresses: readonly string[]) {
    this.hi = addresses.map((a) => Number.parseInt(a.slice(0, 8), 16));
    this.lo = addresses.map((a) => Number.parseInt(a.slice(8), 16));
    this.best = addresses.map(() => null);
  }

  feed(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const first = bytes.indexOf(NEWLINE);
    if (first < 0) {
      this.carry = Buffer.concat([this.carry, bytes]);
      return;
    }
    // The line cut by the previous chunk, joined (a few dozen bytes), then the rest in place.
    let from = 0;
    if (this.carry.length > 0) {
      const joined = Buffer.concat([this.carry, bytes.subarray(0, first + 1)]);
      this.scan(joined, 0, joined.length);
      from = first + 1;
    }
    const last = bytes.lastIndexOf(NEWLINE);
    this.scan(bytes, from, last + 1);
    this.carry = Buffer.from(bytes.subarray(last + 1));
  }

  /** The whole lines in bytes[from, end): per wanted address, the best line, then compared. */
  private scan(bytes: Buffer, from: number, end: number): void {
    const n = this.addresses.length;
    const lineAt: number[] = new Array(n).fill(-1);
    const lineHi: number[] = new Array(n).fill(0);
    const lineLo: number[] = new Array(n).fill(0);
    // One pass over the bytes in plain JS: Buffer.indexOf is a native call per use, and two per
    // line cost more than the whole scan.
    let i = from;
    while (i < end) {
      const start = i;
      let hi = 0;
      let lo = 0;
      let digits = 0;
      for (let c = bytes[i]!; i < end && c !== SPACE && c !== NEWLINE; c = bytes[++i]!) {
        const v = c <= 57 ? c - ZERO : (c | 32) - 87;
        // Past 8 digits the high half takes the low half's top digit.
        hi = hi * 16 + Math.floor(lo / 0x10000000);
        lo = (lo % 0x10000000) * 16 + v;
        digits++;
      }
      const type = bytes[i + 1];
      if (
        bytes[i] === SPACE &&
        digits > 0 &&
        digits <= HEX_WIDTH &&
        type !== undefined &&
        TEXT_TYPES.has(type)
      ) {
        if (hi !== 0 || lo !== 0) {
          for (let w = 0; w < n; w++) {
            if (hi > this.hi[w]! || (hi === this.hi[w] && lo > this.lo[w]!)) continue;
            if (lineAt[w]! >= 0 && (hi < lineHi[w]! || (hi === lineHi[w] && lo <= lineLo[w]!))) continue;
            lineAt[w] = i + 3;
            lineHi[w] = hi;
            lineLo[w] = lo;
          }
        }
      }
      while (i < end && bytes[i] !== NEWLINE) i++;
      i++;
      if (i <= start) break;
    }
    for (let w = 0; w < n; w++) {
      if (lineAt[w]! < 0) continue;
      const known = this.best[w];
      const hi = lineHi[w]!;
      const lo = lineLo[w]!;
      if (known && (hi < known.hi || (hi === known.hi && lo <= known.lo))) continue;
      this.best[w] = { hi, lo, name: nameAt(bytes, lineAt[w]!) };
    }
  }

  /** address → function name, for those found within MAX_OFFSET of a symbol. */
  result(): Map<string, string> {
    if (this.carry.length > 0) {
      const rest = Buffer.concat([this.carry, Buffer.from([NEWLINE])]);
      this.carry = Buffer.alloc(0);
      this.scan(rest, 0, rest.length);
    }
    const out = new Map<string, string>();
    this.addresses.forEach((address, w) => {
      const best = this.best[w];
      if (!best) return;
      const distance = (this.hi[w]! - best.hi) * 2 ** 32 + (this.lo[w]! - best.lo);
      if (distance <= MAX_OFFSET) out.set(address, best.name);
    });
    return out;
  }
}

function nameAt(bytes: Buffer, start: number): string {
  let end = start;
  while (end < bytes.length && bytes[end] !== SPACE && bytes[end] !== TAB && bytes[end] !== NEWLINE) end++;
  return bytes.toString('latin1', start, end);
}

export function resolveAddresses(kallsyms: string, addresses: readonly string[]): Map<string, string> {
  const scan = new KallsymsScan(addresses);
  scan.feed(Buffer.from(kallsyms, 'latin1'));
  return scan.result();
}
