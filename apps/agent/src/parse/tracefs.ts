/**
 * skb:kfree_skb as tracefs describes and prints it. Reason numbers differ between kernels
 * (CPU_BACKLOG is 71 on 6.18 and 53 on 6.8), so the number → name map is read from the running
 * kernel's own `format` file, never shipped (reference/drop-causes.md §0.2, §5.4.6).
 */

/** `__print_symbolic(REC->reason, { 2, "NOT_SPECIFIED" }, ...)` pairs of the event's print fmt. */
export function parseDropReasons(format: string): Map<number, string> {
  const reasons = new Map<number, string>();
  const start = format.indexOf('__print_symbolic(REC->reason');
  if (start < 0) return reasons;
  const pair = /\{\s*(0x[0-9a-fA-F]+|\d+)\s*,\s*"([^"]+)"\s*\}/g;
  pair.lastIndex = start;
  for (let m = pair.exec(format); m; m = pair.exec(format)) reasons.set(Number(m[1]), m[2]!);
  return reasons;
}

/**
 * What the running kernel's skb:kfree_skb gives (test/fixtures/kernels/ has each shape):
 * - no `reason` field at all: Linux < 5.17 (RHEL 8's 4.18, Ubuntu 20.04's 5.4, upstream 5.14,
 *   Ubuntu 22.04's 5.15). Every kfree_skb() then looks the same, drop or not: nothing to count.
 * - `reason` with `location=%p`: upstream 5.17 up to the %pS change, and RHEL 9's 5.14 backport.
 *   The location is printed as an address, named through /proc/kallsyms (tracing/symbols.ts).
 * - `reason` with `location=%pS`: newer kernels print `function+off/len` themselves.
 */
export interface KfreeSkbFormat {
  hasReason: boolean;
  locationIsSymbol: boolean;
  /** number → name from `__print_symbolic`; empty if the kernel printed enum names unresolved. */
  reasons: Map<number, string>;
}

/** Said when the running kernel's kfree_skb has no reason (Linux < 5.17 without RHEL 9's backport). */
export const NO_REASON_DETAIL =
  "this kernel's skb:kfree_skb event has no drop reason field (Linux 5.17+ and RHEL 9 have it)";

export function describeKfreeSkb(format: string): KfreeSkbFormat {
  const printFmt = /^print fmt: "([^"]*)"/m.exec(format)?.[1] ?? '';
  return {
    hasReason: parseEventFields(format).includes('reason'),
    locationIsSymbol: /location=%p[sSfF]/.test(printFmt),
    reasons: parseDropReasons(format),
  };
}

/** The event's field names (`field:void * location;` → location), to check what we can filter on. */
export function parseEventFields(format: string): string[] {
  const fields: string[] = [];
  for (const m of format.matchAll(/field:[^;]*?(\w+)(?:\[\d*\])?;/g)) fields.push(m[1]!);
  return fields;
}

/** Reasons that are not losses. Present as kfree_skb reasons on some kernels, absent on 6.18. */
export const NOT_DROP_REASONS = ['NOT_DROPPED_YET', 'CONSUMED'] as const;

/**
 * The kernel-side filter: reject only the non-drops the running kernel knows about. Filters are
 * numeric ("Expecting numeric field" for names), hence the map. Empty string = no filter needed.
 */
export function dropFilter(reasons: Map<number, string>): string {
  const clauses: string[] = [];
  for (const [n, name] of reasons) {
    if ((NOT_DROP_REASONS as readonly string[]).includes(name)) clauses.push(`reason != ${n}`);
  }
  return clauses.join(' && ');
}

export type TraceLine =
  | { type: 'drop'; cpu: number; location: string; reason: string }
  | { type: 'lost'; cpu: number; count: number };

/** Plain text prints `reason: NAME`; with options/fields it is `reason=0x47 (71)`. */
const REASON_FIELD_RE = / reason=0x[0-9a-f]+ \((\d+)\)/;
const LOST_RE = /^CPU:(\d+) \[LOST (\d+) EVENTS\]/;

/**
 * One trace_pipe line. The task name before `[CPU]` may contain spaces and dashes, so fields are
 * found by their own markers. The location loses its `+0x153/0x440` offset: the function is the
 * drop site, offsets differ per build. Numeric reasons (fields mode, or subsystem reasons the
 * kernel prints as hex) are named through `reasons`, else kept as `0x…`/number text.
 */
export function parseTraceLine(line: string, reasons: Map<number, string>): TraceLine | null {
  const marker = line.indexOf(': kfree_skb: ');
  if (marker < 0) {
    const lost = LOST_RE.exec(line);
    return lost ? { type: 'lost', cpu: Number(lost[1]), count: Number(lost[2]) } : null;
  }
  // Plain text, the common case, by indexOf (this runs for every drop event): `[001]` before the
  // marker, ` location=FN+off/len ` and ` reason: NAME` after it.
  const open = line.lastIndexOf('[', marker);
  const close = open < 0 ? -1 : line.indexOf(']', open);
  const at = line.indexOf(' location=', marker);
  if (open < 0 || close < 0 || close > marker || at < 0) return null;
  const cpu = Number(line.slice(open + 1, close));
  let end = line.indexOf(' ', at + 10);
  if (end < 0) end = line.length;
  const location = stripOffset(line.slice(at + 10, end));
  const textAt = line.indexOf(' reason: ', end);
  let reason: string;
  if (textAt >= 0) {
    let reasonEnd = line.indexOf(' ', textAt + 9);
    if (reasonEnd < 0) reasonEnd = line.length;
    reason = reasonName(line.slice(textAt + 9, reasonEnd), reasons);
  } else {
    const field = REASON_FIELD_RE.exec(line);
    if (!field) return null;
    reason = reasons.get(Number(field[1])) ?? field[1]!;
  }
  if (!Number.isInteger(cpu)) return null;
  return { type: 'drop', cpu, location, reason };
}

function reasonName(printed: string, reasons: Map<number, string>): string {
  if (/^(0x[0-9a-fA-F]+|\d+)$/.test(printed)) return reasons.get(Number(printed)) ?? printed;
  return printed;
}

/** `enqueue_to_backlog+0x153/0x440` → `enqueue_to_backlog`; `0xffffffff81…` stays as printed. */
export function stripOffset(location: string): string {
  const plus = location.indexOf('+');
  return plus > 0 ? location.slice(0, plus) : location;
}

/**
 * Counts whose location was printed as an address, under the function `names` gives it; two
 * addresses in one function (two call sites) become one count, as `%pS` kernels report them.
 */
export function renameLocations<T extends { reason: string; location: string; cpu: number; count: number }>(
  drops: T[],
  names: ReadonlyMap<string, string>,
): T[] {
  if (names.size === 0) return drops;
  const merged = new Map<string, T>();
  for (const d of drops) {
    const location = names.get(d.location) ?? d.location;
    const key = `${d.reason}\u0000${location}\u0000${d.cpu}`;
    const known = merged.get(key);
    if (known) known.count += d.count;
    else merged.set(key, { ...d, location });
  }
  return [...merged.values()];
}

/** per_cpu/cpuN/stats: `overrun:` counts events the ring overwrote, `dropped events:` ones refused. */
export function parseCpuStats(text: string): { overrun: number; dropped: number } {
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  };
  return { overrun: field('overrun'), dropped: field('dropped events') };
}
