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

let local: Intl.DateTimeFormat | null = null;

/**
 * Made when first needed, or by warmLocalTime: the page's first Intl formatter loads the
 * browser's locale data (35–50 ms on an idle machine, over 100 ms on a busy one, measured in
 * Chromium), and the clock's first tick is in the render of the map's first picture.
 */
function localFormat(): Intl.DateTimeFormat {
  local ??= new Intl.DateTimeFormat(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    // Digits as in the UTC time beside it (and one column each: the clock is sized by them).
    numberingSystem: 'latn',
    timeZoneName: 'short',
  });
  return local;
}

/** Called by the page's entry in a task of its own, while the app's bundle is on its way. */
export function warmLocalTime(): void {
  localFormat();
}

/** "05:12:07 CEST": the same moment on the operator's clock. */
export function fmtLocal(t: number): string {
  return localFormat().format(new Date(t));
}

/** "4 min 12 s" for spans on the strip and the recordings list. */
export function fmtSpan(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
