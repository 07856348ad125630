/**
 * Times in URLs are either ms since the epoch or an ISO 8601 string (what the web app's
 * `t=ISO-TIME` carries), so a pasted incident link and a script can both talk to the API.
 */
export function parseTime(value: unknown): number | null {
  if (typeof value !== 'string' || value === '') return null;
  if (/^\d+$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : null;
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}
