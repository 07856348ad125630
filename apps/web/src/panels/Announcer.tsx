import type { Finding } from '@hopwatch/shared';
import { type AppState, useApp } from '../store/index.ts';

/**
 * What a screen reader hears when the picture changes in a way that matters: the findings
 * (rule and hop) and where on the path packets disappear. A string selector, so it changes only
 * when those do, never with the numbers of a tick (a live region that spoke every second would
 * be switched off by its listener).
 */
export function announcement(
  findings: readonly Finding[],
  path: readonly string[] | null,
  lossAt: string | null,
): string {
  const parts: string[] = [];
  if (findings.length === 0) parts.push('No findings: no hop loses packets.');
  else
    parts.push(
      `${findings.length} finding${findings.length === 1 ? '' : 's'}: ${findings
        .map((f) => `${f.rule} ${f.title}${f.hop !== null ? ` at ${f.hop}` : ''}`)
        .join('; ')}.`,
    );
  if (path !== null) {
    const at = lossAt === null ? -1 : path.indexOf(lossAt);
    parts.push(
      at < 0
        ? `Path of ${path.length} hops: no packets lost on the way.`
        : `Path of ${path.length} hops: packets disappear at hop ${at + 1}, ${lossAt}.`,
    );
  }
  return parts.join(' ');
}

const selectText = (s: AppState) => {
  const lossAt = s.path?.find((id) => (s.statsById.get(id)?.drops ?? 0) > 0) ?? null;
  return announcement(s.findings, s.path, lossAt);
};

export function Announcer() {
  const text = useApp(selectText);
  return (
    <div className="sr-only" role="status" aria-live="polite" aria-atomic="true" data-testid="announcer">
      {text}
    </div>
  );
}
