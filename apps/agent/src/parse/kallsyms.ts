/**
 * /proc/kallsyms: `ADDRESS TYPE NAME[\t[MODULE]]`, one symbol a line, not sorted as a whole
 * (module symbols follow the core kernel's). Needed only where the kernel prints a drop location
 * as an address: skb:kfree_skb's `location=%p` on the kernels between drop reasons (5.17) and
 * the `%pS` symbol format, RHEL 9's 5.14 backport among them. The drop rules match function
 * names (`nf_hook_slow`, `br_*`, `tcp_*`), so an address has to become its function.
 *
 * The file is 5–15 MB: it is scanned in chunks for the few addresses wanted, never kept.
 */

/** A drop site is inside a function: an address farther than this from a symbol is not its. */
const MAX_OFFSET = 0x40000n;
const HEX_WIDTH = 16;

/** `ffffffff81ea7d83` / `0xffffffff81ea7d83` → 16 lowercase hex digits; null if not an address. */
export function normalizeAddress(text: string): string | null {
  const hex = text.startsWith('0x') ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) return null;
  return hex.toLowerCase().padStart(HEX_WIDTH, '0');
}

/**
 * Finds, for each wanted address, the text symbol at or below it (the function it is in).
 * Fixed-width lowercase hex compares as strings in numeric order, so no line becomes a BigInt.
 * Addresses printed as 0 (kptr_restrict without CAP_SYSLOG) match nothing.
 */
export class KallsymsScan {
  private readonly best = new Map<string, { at: string; name: string }>();
  private partial = '';

  /** `addresses` already normalized (normalizeAddress). */
  constructor(private readonly addresses: readonly string[]) {}

  feed(chunk: string): void {
    const text = this.partial + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.line(text, start, nl);
      start = nl + 1;
    }
    this.partial = text.slice(start);
  }

  private line(text: string, start: number, end: number): void {
    const space = text.indexOf(' ', start);
    if (space < 0 || space > end) return;
    const type = text.charCodeAt(space + 1);
    // t/T: text; w/W: weak symbols, which are functions too on x86.
    if (type !== 116 && type !== 84 && type !== 119 && type !== 87) return;
    const at = text.slice(start, space).padStart(HEX_WIDTH, '0');
    if (at === '0000000000000000') return;
    for (const address of this.addresses) {
      if (at > address) continue;
      const known = this.best.get(address);
      if (known && known.at >= at) continue;
      let nameEnd = space + 3;
      while (nameEnd < end && text[nameEnd] !== ' ' && text[nameEnd] !== '\t') nameEnd++;
      this.best.set(address, { at, name: text.slice(space + 3, nameEnd) });
    }
  }

  /** address → function name, for those found within MAX_OFFSET of a symbol. */
  result(): Map<string, string> {
    if (this.partial !== '') {
      const rest = this.partial;
      this.partial = '';
      this.line(rest, 0, rest.length);
    }
    const out = new Map<string, string>();
    for (const [address, { at, name }] of this.best) {
      if (BigInt(`0x${address}`) - BigInt(`0x${at}`) <= MAX_OFFSET) out.set(address, name);
    }
    return out;
  }
}

export function resolveAddresses(kallsyms: string, addresses: readonly string[]): Map<string, string> {
  const scan = new KallsymsScan(addresses);
  scan.feed(kallsyms);
  return scan.result();
}
