import { closeSync, readSync } from 'node:fs';
import { KallsymsScan, normalizeAddress } from '../parse/kallsyms.ts';
import { openKernelFile } from '../util/procfs.ts';

/** Drop sites are a few hundred call sites at most; beyond this, addresses stay as printed. */
const MAX_ADDRESSES = 4096;
const CHUNK_BYTES = 64 * 1024;
/** Larger than any kallsyms seen (distro kernels with modules: ~15 MB); a bigger file is refused. */
const MAX_KALLSYMS_BYTES = 64 * 1024 * 1024;

/**
 * Kernel addresses → function names through /proc/kallsyms, for kernels whose kfree_skb prints
 * the drop location as an address (parse/kallsyms.ts). Each address is looked up once: the
 * file is scanned in 64 KB chunks only when a drain brings addresses never seen before, so the
 * agent never holds the 5–15 MB file. Unresolvable ones (hashed pointers, kptr_restrict) are
 * remembered as such and keep their printed form.
 */
export class KernelSymbols {
  private readonly names = new Map<string, string | null>();
  private resolvedAny = false;
  private triedAny = false;

  constructor(private readonly path = '/proc/kallsyms') {}

  /** location as printed → function name, for every location that is a resolvable address. */
  resolve(locations: Iterable<string>): Map<string, string> {
    const out = new Map<string, string>();
    const unseen = new Map<string, string[]>();
    for (const location of locations) {
      const address = normalizeAddress(location);
      if (address === null) continue; // already a symbol (%pS kernels)
      const known = this.names.get(address);
      if (known) out.set(location, known);
      else if (known === undefined && this.names.size + unseen.size < MAX_ADDRESSES)
        unseen.set(address, [...(unseen.get(address) ?? []), location]);
    }
    if (unseen.size === 0) return out;
    const found = this.scan([...unseen.keys()]);
    this.triedAny = true;
    for (const [address, printed] of unseen) {
      const name = found.get(address) ?? null;
      this.names.set(address, name);
      if (name === null) continue;
      this.resolvedAny = true;
      for (const location of printed) out.set(location, name);
    }
    return out;
  }

  /** True once addresses were looked up and none could be named (zeros from kptr_restrict, hashes). */
  get unresolvable(): boolean {
    return this.triedAny && !this.resolvedAny;
  }

  private scan(addresses: string[]): Map<string, string> {
    const scan = new KallsymsScan(addresses);
    let fd: number;
    try {
      fd = openKernelFile(this.path);
    } catch {
      return new Map();
    }
    try {
      const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
      let total = 0;
      for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
        total += n;
        if (total > MAX_KALLSYMS_BYTES) return new Map();
        scan.feed(chunk.subarray(0, n));
      }
    } catch {
      return new Map();
    } finally {
      closeSync(fd);
    }
    return scan.result();
  }
}
