/** Compact numbers for dense labels: 950, 9.5k, 12k, 1.2M. */
export function fmtNum(n: number): string {
  const a = Math.abs(n);
  if (a < 1) return a === 0 ? '0' : n.toFixed(a < 0.1 ? 2 : 1);
  if (a < 1000) return String(Math.round(n));
  if (a < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (a < 1_000_000) return `${Math.round(n / 1000)}k`;
  if (a < 10_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  return `${Math.round(n / 1_000_000)}M`;
}

export function fmtPct(ratio: number): string {
  if (ratio <= 0) return '0 %';
  const p = ratio * 100;
  if (p < 0.01) return '<0.01 %';
  return `${p < 1 ? p.toFixed(2) : p < 10 ? p.toFixed(1) : Math.round(p)} %`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(1)} GiB`;
}

export function fmtAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** The host namespace has the empty name; say so in words. */
export function nsLabel(netns: string): string {
  return netns === '' ? 'host namespace' : netns;
}
