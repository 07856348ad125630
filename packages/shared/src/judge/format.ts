/**
 * Numbers in words for evidence and fixes. Evidence is read by people in an incident channel, so
 * it groups thousands ("91 200") and gives small loss ratios with the one digit that matters
 * ("0.04 %"): the seed's loss was 0.01–0.1 %, which "0 %" would hide.
 */
import { shellWord } from '../text.ts';

export function fmtCount(n: number): string {
  const s = String(Math.round(n));
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

export function fmtDelta(n: number): string {
  return `+${fmtCount(n)}`;
}

/** `part` of `whole` as a percentage: one significant digit below 1 %, one decimal above. */
export function fmtPercent(part: number, whole: number): string {
  if (whole <= 0) return '0 %';
  const pct = (100 * part) / whole;
  if (pct >= 1) return `${Number(pct.toFixed(1))} %`;
  return `${Number(pct.toPrecision(1))} %`;
}

export function fmtCpus(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  if (sorted.length === 1) return `CPU ${sorted[0]}`;
  return `CPUs ${sorted.slice(0, -1).join(', ')} and ${sorted.at(-1)}`;
}

/** The CPUs of an rps_cpus hex mask as the kernel prints it ("2" → [1], "00000000,00000003" → [0, 1]). */
export function cpusOfMask(mask: string | null): number[] {
  if (mask === null) return [];
  const hex = mask.replace(/,/g, '').trim();
  if (!/^[0-9a-fA-F]+$/.test(hex)) return [];
  const cpus: number[] = [];
  let n = BigInt(`0x${hex}`);
  for (let cpu = 0; n > 0n; cpu++, n >>= 1n) if (n & 1n) cpus.push(cpu);
  return cpus;
}

/**
 * A command run inside the interface's namespace (`ip -n`, `tc -n`) or as is in the host's. The
 * namespace name is shell-quoted; callers quote interface names in `args` with shellWord (both
 * are anyone's choice and the command is meant to be pasted into a root shell).
 */
export function nsCommand(tool: 'ip' | 'tc' | 'sysctl', netns: string, args: string): string {
  if (netns === '') return `${tool} ${args}`;
  if (tool === 'sysctl') return `ip netns exec ${shellWord(netns)} sysctl ${args}`;
  return `${tool} -n ${shellWord(netns)} ${args}`;
}
