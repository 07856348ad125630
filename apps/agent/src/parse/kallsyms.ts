/**
 * /proc/kallsyms: `ADDRESS TYPE NAME[\t[MODULE]]`, one symbol a line, not sorted as a whole
 * (module symbols follow the core kernel's). Needed only where the kernel prints a drop location
 * as an address: skb:kfree_skb's `location=%p` on the kernels between drop reasons (5.17) and
 * the `%pS` symbol format, RHEL 9's 5.14 backport among them. The drop rules match function
 * names (`nf_hook_slow`, `br_*`, `tcp_*`), so an address has to become its function.
 *
 * The file is 5–15 MB (120 000+ lines): it is scanned in chunks, as bytes, for the few addresses
 * wanted, and never kept. A string per line made the first version take 240 ms and 9 MB here;
 * bytes compared in place take a fraction of that (figure in the agent README).
 */

/** A drop site is inside a function: an address farther than this from a symbol is not its. */
const MAX_OFFSET = 0x40000n;
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
  /** 16 ASCII hex digits of the symbol's address. */
  at: Buffer;
  name: string;
}

/**
 * Finds, for each wanted address, the text symbol at or below it (the function it is in).
 * Fixed-width lowercase hex compares bytewise in numeric order, so addresses are compared in
 * the read buffer; a name becomes a string only when it beats the best one at the end of a chunk.
 * Addresses printed as 0 (kptr_restrict without CAP_SYSLOG) match nothing.
 */
export class KallsymsScan {
  private readonly wanted: Buffer[];
  private readonly best: (Best | null)[];
  private carry: Buffer = Buffer.alloc(0);

  /** `addresses` already normalized (normalizeAddress). */
  constructor(private readonly addresses: readonly string[]) {
    this.wanted = addresses.map((a) => Buffer.from(a, 'latin1'));
    this.best = addresses.map(() => null);
  }

  feed(chunk: Uint8Array): void {
    // No copy of the caller's buffer: the scan is done before feed returns; only the carry is kept.
    const bytes =
      this.carry.length === 0
        ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
        : Buffer.concat([this.carry, chunk]);
    const lastNewline = bytes.lastIndexOf(NEWLINE);
    if (lastNewline < 0) {
      this.carry = Buffer.from(bytes);
      return;
    }
    this.scan(bytes, lastNewline + 1);
    this.carry = Buffer.from(bytes.subarray(lastNewline + 1));
  }

  /** The lines in bytes[0, end): per wanted address, the best line of this chunk, then compared. */
  private scan(bytes: Buffer, end: number): void {
    const chunkAt: number[] = this.wanted.map(() => -1);
    const chunkLen: number[] = this.wanted.map(() => 0);
    for (let start = 0; start < end; ) {
      let lineEnd = bytes.indexOf(NEWLINE, start);
      if (lineEnd < 0 || lineEnd > end) lineEnd = end;
      const space = bytes.indexOf(SPACE, start);
      const len = space - start;
      if (space > start && space < lineEnd && len <= HEX_WIDTH && TEXT_TYPES.has(bytes[space + 1]!)) {
        if (!allZero(bytes, start, len)) {
          for (let w = 0; w < this.wanted.length; w++) {
            if (compareAddress(bytes, start, len, this.wanted[w]!, 0) > 0) continue;
            const prev = chunkAt[w]!;
            if (prev >= 0 && compareAddress(bytes, start, len, bytes, prev, chunkLen[w]) <= 0) continue;
            chunkAt[w] = start;
            chunkLen[w] = len;
          }
        }
      }
      start = lineEnd + 1;
    }
    for (let w = 0; w < this.wanted.length; w++) {
      const line = chunkAt[w]!;
      if (line < 0) continue;
      const len = chunkLen[w]!;
      const known = this.best[w];
      if (known && compareAddress(bytes, line, len, known.at, 0) <= 0) continue;
      this.best[w] = { at: padded(bytes, line, len), name: nameAt(bytes, line + len + 3) };
    }
  }

  /** address → function name, for those found within MAX_OFFSET of a symbol. */
  result(): Map<string, string> {
    if (this.carry.length > 0) {
      const rest = Buffer.concat([this.carry, Buffer.from([NEWLINE])]);
      this.carry = Buffer.alloc(0);
      this.scan(rest, rest.length);
    }
    const out = new Map<string, string>();
    this.addresses.forEach((address, w) => {
      const best = this.best[w];
      if (!best) return;
      if (BigInt(`0x${address}`) - BigInt(`0x${best.at.toString('latin1')}`) <= MAX_OFFSET)
        out.set(address, best.name);
    });
    return out;
  }
}

function allZero(bytes: Buffer, start: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (bytes[start + k] !== ZERO) return false;
  return true;
}

/** Compares a `len`-digit address in `a` (left-padded with 0 to 16) with one in `b` (16 or `bLen`). */
function compareAddress(
  a: Buffer,
  aStart: number,
  aLen: number,
  b: Buffer,
  bStart: number,
  bLen = HEX_WIDTH,
): number {
  for (let k = 0; k < HEX_WIDTH; k++) {
    const x = k < HEX_WIDTH - aLen ? ZERO : a[aStart + k - (HEX_WIDTH - aLen)]!;
    const y = k < HEX_WIDTH - bLen ? ZERO : b[bStart + k - (HEX_WIDTH - bLen)]!;
    if (x !== y) return x - y;
  }
  return 0;
}

function padded(bytes: Buffer, start: number, len: number): Buffer {
  const out = Buffer.alloc(HEX_WIDTH, ZERO);
  bytes.copy(out, HEX_WIDTH - len, start, start + len);
  return out;
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
