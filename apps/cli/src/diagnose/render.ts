import { type Diagnosis, type Finding, type HopReport, type HopStatus, printable } from '@hopwatch/shared';

/**
 * `hopwatch diagnose` for people: the hops with their numbers, then the findings with evidence
 * and fix. Pure (Diagnosis → text) so it is tested without a terminal. Status is always a word
 * and a mark; colour, when on, only repeats it.
 */
export interface RenderOptions {
  color: boolean;
}

const MARK: Record<HopStatus, string> = { idle: '·', ok: '✓', warn: '!', loss: '✗', down: '↓' };
const SEVERITY_MARK: Record<Finding['severity'], string> = { info: 'i', warn: '!', loss: '✗' };
const ANSI = { red: 31, yellow: 33, green: 32, dim: 2, bold: 1 } as const;
const STATUS_COLOR: Record<HopStatus, keyof typeof ANSI> = {
  idle: 'dim',
  ok: 'green',
  warn: 'yellow',
  loss: 'red',
  down: 'red',
};
const SEVERITY_COLOR: Record<Finding['severity'], keyof typeof ANSI> = {
  info: 'dim',
  warn: 'yellow',
  loss: 'red',
};

function count(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

function percent(ratio: number): string {
  if (ratio <= 0) return '';
  const pct = ratio * 100;
  return `${pct >= 1 ? Number(pct.toFixed(1)) : Number(pct.toPrecision(1))} %`;
}

function table(rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? '')].length))) ?? [];
  return rows.map((r) =>
    r
      .map((cell, c) => {
        const pad = ' '.repeat((widths[c] ?? 0) - [...cell].length);
        return rightAligned.has(c) ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd(),
  );
}

function hopRows(hops: readonly HopReport[], numbered: boolean): string[][] {
  const head = [...(numbered ? ['#'] : []), 'hop', 'status', 'rx pkts', 'tx pkts', 'drops', 'loss', 'rules'];
  return [
    head,
    ...hops.map((h) => [
      ...(numbered ? [String(h.pathIndex ?? '')] : []),
      h.id,
      `${MARK[h.status]} ${h.status}`,
      count(h.rxPackets),
      count(h.txPackets),
      h.drops > 0 ? count(h.drops) : '',
      percent(h.lossRatio),
      h.rules.join(' '),
    ]),
  ];
}

/**
 * Every string of a diagnosis through printable(): interface and namespace names are anyone's
 * choice (`a\x1b[2Jb` is a valid interface name) and reach hop ids, titles, evidence and commands.
 * Our own colours are added afterwards.
 */
function printableDiagnosis(d: Diagnosis): Diagnosis {
  return JSON.parse(JSON.stringify(d), (_k, v: unknown) =>
    typeof v === 'string' ? printable(v) : v,
  ) as Diagnosis;
}

export function renderDiagnosis(raw: Diagnosis, opts: RenderOptions): string {
  const d = printableDiagnosis(raw);
  const paint = (color: keyof typeof ANSI, s: string) => (opts.color ? `\x1b[${ANSI[color]}m${s}\x1b[0m` : s);
  const out: string[] = [];
  const window = d.from > 0 ? ` (${new Date(d.from).toISOString()} → ${new Date(d.to).toISOString()})` : '';
  out.push(paint('bold', `hopwatch diagnose: ${d.host}, ${d.seconds.toFixed(1)} s window${window}`), '');

  const numbered = d.path !== null;
  if (d.path) out.push(`Path ${d.path[0]} → ${d.path.at(-1)} (${d.path.length} hops)`);
  else
    out.push(
      d.hops.length > 0 ? 'Interfaces that did something, worst first' : 'No interface moved a packet.',
    );
  if (d.hops.length > 0) {
    const lines = table(hopRows(d.hops, numbered), new Set(numbered ? [0, 3, 4, 5, 6] : [2, 3, 4, 5]));
    out.push(`  ${paint('dim', lines[0] ?? '')}`);
    d.hops.forEach((h, k) => {
      out.push(`  ${paint(STATUS_COLOR[h.status], lines[k + 1] ?? '')}`);
    });
    // How protocol drops got to a hop, or that they are the reverse direction (issue 10).
    const noted = d.hops.filter((h) => (h.notes ?? []).length > 0);
    if (noted.length > 0) out.push('');
    for (const h of noted) for (const n of h.notes ?? []) out.push(`  ${paint('dim', `${h.id}: ${n}`)}`);
  }
  out.push('');

  if (d.findings.length === 0) out.push('Findings: none.');
  else out.push('Findings (most severe first)');
  for (const f of d.findings) {
    const where = [f.hop, f.count > 0 ? `${count(f.count)} packets` : null].filter(Boolean).join(', ');
    out.push(
      paint(
        SEVERITY_COLOR[f.severity],
        `  ${SEVERITY_MARK[f.severity]} ${f.rule} ${f.severity}: ${f.title}`,
      ) + (where ? ` — ${where}` : ''),
    );
    for (const e of f.evidence) out.push(`      ${e}`);
    out.push(`    fix: ${f.fix}`);
    if (f.command) out.push(`    run: ${f.command}`);
  }
  out.push('', verdict(d));
  return out.join('\n');
}

/** One line a person can paste: where packets are lost, or that none are. */
export function verdict(raw: Diagnosis): string {
  const d = printableDiagnosis(raw);
  const loss = d.findings.filter((f) => f.severity === 'loss');
  if (loss.length === 0) {
    const warn = d.findings.filter((f) => f.severity === 'warn').length;
    return `Verdict: no packet lost in ${d.seconds.toFixed(1)} s${warn > 0 ? ` (${warn} warning${warn > 1 ? 's' : ''})` : ''}.`;
  }
  const where = loss.map(
    (f) => `${f.hop ?? 'no single hop'} (${f.rule}${f.count > 0 ? `: ${count(f.count)} packets` : ''})`,
  );
  return `Verdict: packets lost at ${where.join('; ')}.`;
}
