import type { Finding } from '@hopwatch/shared';
import type { Waterfall } from '../panels/waterfall.ts';
import { fmtNum } from '../ui/format.ts';

export interface ReportInput {
  host: string | null;
  /** What moment: 'live' or the replayed instant, ISO. */
  at: string;
  windowSeconds: number;
  url: string;
  findings: readonly Finding[];
  waterfall: Waterfall | null;
  /** The judge's notes per hop id (HopStat.notes, one per line), for the findings' hops. */
  notesOf?: (hop: string) => string;
}

/** `|` would end a table cell; newlines would end the row. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The findings as Markdown for an incident ticket: what, where, the evidence, the fix and its
 * command, then the path hop by hop (the waterfall's numbers, the same as the map's table).
 */
export function findingsMarkdown(r: ReportInput): string {
  const lines: string[] = [];
  lines.push(
    `### hopwatch: ${r.host ?? 'no host'} at ${r.at}${r.windowSeconds > 0 ? ` (last ${Math.round(r.windowSeconds)} s)` : ''}`,
  );
  lines.push('', `View: ${r.url}`, '');
  if (r.findings.length === 0) lines.push('No findings: no hop loses packets in the window.');
  for (const f of r.findings) {
    lines.push(
      `- **${f.rule}** (${f.severity}) ${f.title}${f.hop !== null ? ` at \`${f.hop}\`` : ''}, ${fmtNum(f.count)} packets`,
    );
    for (const e of f.evidence) lines.push(`  - ${e}`);
    const notes = f.hop === null ? '' : (r.notesOf?.(f.hop) ?? '');
    for (const n of notes === '' ? [] : notes.split('\n')) lines.push(`  - Note on \`${f.hop}\`: ${n}`);
    lines.push(`  - Fix: ${f.fix}`);
    if (f.command !== null) lines.push('', '    ```', `    ${f.command}`, '    ```');
  }
  const w = r.waterfall;
  if (w !== null && w.steps.length > 0) {
    lines.push('', '| # | hop | in/s | out/s | lost/s | rules |', '|---:|---|---:|---:|---:|---|');
    for (const s of w.steps)
      lines.push(
        `| ${s.index} | \`${cell(s.id)}\` | ${fmtNum(s.inPps)} | ${fmtNum(s.outPps)} | ${fmtNum(s.dropsPerSec)} | ${cell(s.rules)} |`,
      );
    // What the numbers alone do not say (how drops were attributed, the reverse direction).
    const noted = w.steps.filter((s) => s.notes !== '');
    if (noted.length > 0) lines.push('');
    for (const s of noted)
      for (const n of s.notes.split('\n')) lines.push(`- hop ${s.index} \`${s.id}\`: ${n}`);
  }
  return `${lines.join('\n')}\n`;
}
