/** Replay times as an operator reads them: UTC for the incident channel, local for the desk. */

const pad = (n: number) => String(n).padStart(2, '0');

/** "2026-05-01 03:12:07 UTC" (sub-second precision is noise at 1 Hz sampling). */
export function fmtUtc(t: number): string {
  const d = new Date(t);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`
  );
}

const LOCAL = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
  timeZoneName: 'short',
});

/** "05:12:07 CEST": the same moment on the operator's clock. */
export function fmtLocal(t: number): string {
  return LOCAL.format(new Date(t));
}

/** "4 min 12 s" for spans on the strip and the recordings list. */
export function fmtSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
