import type { Finding, HopStatus } from '@hopwatch/shared';
import type { Waterfall } from '../panels/waterfall.ts';
import { fmtNum } from '../ui/format.ts';
import { nsShort } from '../ui/names.ts';
import { STATUS_LABEL } from '../ui/status.ts';

/**
 * The exported picture, drawn on a 2D canvas from the same data the screen shows (no DOM
 * screenshot, no dependency): the path as the map's path mode draws it (left to right, namespace
 * bands), the waterfall aligned under its hops, the findings and the time. A light palette: it
 * is pasted into tickets, read on any background.
 */
export interface ReportPicture {
  host: string | null;
  /** 'live at …' or 'replay at …', in words. */
  when: string;
  windowSeconds: number;
  url: string;
  waterfall: Waterfall | null;
  findings: readonly Finding[];
  /** Interfaces on the host not on the path (folded aside on the map). */
  offPath: number;
  /** The judge's notes on the findings' hops (hop id → lines), when there are any. */
  notes?: ReadonlyMap<string, readonly string[]>;
}

/** Notes drawn under a finding: the first few (the Markdown copy has them all). */
const NOTES_DRAWN = 2;
const notesOf = (p: ReportPicture, f: Finding) =>
  (f.hop === null ? undefined : p.notes?.get(f.hop))?.slice(0, NOTES_DRAWN) ?? [];

const HOP_W = 168;
const HOP_H = 44;
const GAP = 26;
const PAD = 24;
const BAR_MAX = 90;
const LINE = 18;
const COLORS: Record<HopStatus, string> = {
  idle: '#8a94a3',
  ok: '#1f9d55',
  warn: '#c47f00',
  loss: '#d32f2f',
  down: '#6b21a8',
};
const INK = '#1d2330';
const MUTED = '#5b6472';
const PATH = '#2f6fde';

export function reportSize(p: ReportPicture): { width: number; height: number } {
  const hops = p.waterfall?.steps.length ?? 0;
  const width = Math.max(960, PAD * 2 + hops * HOP_W + Math.max(0, hops - 1) * GAP);
  const findingLines = p.findings.reduce(
    (n, f) => n + 2 + Math.min(3, f.evidence.length) + notesOf(p, f).length,
    0,
  );
  const height =
    PAD + 52 + (hops > 0 ? 40 + HOP_H + 30 + BAR_MAX + 56 : 30) + 28 + Math.max(1, findingLines) * LINE + 40;
  return { width, height };
}

const hopX = (i: number) => PAD + i * (HOP_W + GAP);

function fit(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let t = text;
  while (t.length > 1 && ctx.measureText(`${t}…`).width > max) t = t.slice(0, -1);
  return `${t}…`;
}

export function drawReport(ctx: CanvasRenderingContext2D, p: ReportPicture): void {
  const { width, height } = reportSize(p);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  ctx.textBaseline = 'top';
  let y = PAD;
  ctx.fillStyle = INK;
  ctx.font = 'bold 20px sans-serif';
  ctx.fillText(`hopwatch · ${p.host ?? 'no host'}`, PAD, y);
  ctx.font = '14px sans-serif';
  ctx.fillStyle = MUTED;
  const window = p.windowSeconds > 0 ? ` · window ${Math.round(p.windowSeconds)} s` : '';
  ctx.fillText(`${p.when}${window}`, PAD, y + 26);
  y += 52;

  const w = p.waterfall;
  if (w !== null && w.steps.length > 0) {
    y += 22;
    // Namespace bands around runs of hops, as on the map in path mode.
    let start = 0;
    for (let i = 1; i <= w.steps.length; i++) {
      if (i < w.steps.length && w.steps[i]!.netns === w.steps[start]!.netns) continue;
      const x0 = hopX(start) - 8;
      const x1 = hopX(i - 1) + HOP_W + 8;
      ctx.strokeStyle = '#9fb3d9';
      ctx.setLineDash([5, 4]);
      ctx.strokeRect(x0, y - 20, x1 - x0, HOP_H + 28);
      ctx.setLineDash([]);
      ctx.fillStyle = MUTED;
      ctx.font = '12px monospace';
      ctx.fillText(fit(ctx, nsShort(w.steps[start]!.netns), x1 - x0 - 8), x0 + 4, y - 17);
      start = i;
    }
    // Hops, left to right, joined by the path.
    w.steps.forEach((s, i) => {
      const x = hopX(i);
      if (i > 0) {
        ctx.strokeStyle = PATH;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(x - GAP, y + HOP_H / 2);
        ctx.lineTo(x, y + HOP_H / 2);
        ctx.stroke();
        ctx.lineWidth = 1;
      }
      ctx.fillStyle = s.status === 'loss' ? '#fdecea' : '#f6f8fb';
      ctx.fillRect(x, y, HOP_W, HOP_H);
      ctx.strokeStyle = COLORS[s.status];
      ctx.lineWidth = s.status === 'loss' ? 3 : 1.5;
      ctx.strokeRect(x, y, HOP_W, HOP_H);
      ctx.lineWidth = 1;
      ctx.fillStyle = INK;
      ctx.font = 'bold 13px monospace';
      ctx.fillText(fit(ctx, `${s.index} ${s.name}`, HOP_W - 12), x + 6, y + 6);
      ctx.fillStyle = COLORS[s.status];
      ctx.font = 'bold 11px sans-serif';
      ctx.fillText(STATUS_LABEL[s.status].toUpperCase(), x + 6, y + 26);
    });
    y += HOP_H + 30;
    // The waterfall, each hop's bars under it.
    const base = y + BAR_MAX;
    w.steps.forEach((s, i) => {
      const x = hopX(i) + 30;
      const bar = (value: number, dx: number, fill: string) => {
        const h = Math.max(value > 0 ? 2 : 0, Math.round((value / w.max) * BAR_MAX));
        ctx.fillStyle = fill;
        ctx.fillRect(x + dx, base - h, 34, h);
        ctx.fillStyle = INK;
        ctx.font = '11px monospace';
        ctx.fillText(fmtNum(value), x + dx, base - h - 14);
      };
      bar(s.inPps, 0, PATH);
      bar(s.outPps, 46, '#9cbcf0');
      if (s.dropsPerSec > 0) {
        ctx.fillStyle = COLORS.loss;
        ctx.font = 'bold 12px monospace';
        ctx.fillText(fit(ctx, `✕ ${fmtNum(s.dropsPerSec)}/s ${s.rules}`, HOP_W), hopX(i), base + 6);
      }
    });
    ctx.fillStyle = MUTED;
    ctx.font = '12px sans-serif';
    ctx.fillText('packets per second in (dark) and out (light) of each hop', PAD, base + 26);
    y = base + 56;
  } else {
    ctx.fillStyle = MUTED;
    ctx.font = '14px sans-serif';
    ctx.fillText('No path chosen.', PAD, y);
    y += 30;
  }

  ctx.fillStyle = INK;
  ctx.font = 'bold 15px sans-serif';
  ctx.fillText(`Findings${p.offPath > 0 ? ` · ${p.offPath} interfaces off the path not drawn` : ''}`, PAD, y);
  y += 28;
  if (p.findings.length === 0) {
    ctx.fillStyle = MUTED;
    ctx.font = '13px sans-serif';
    ctx.fillText('Nothing wrong in the window: no hop loses packets.', PAD, y);
    y += LINE;
  }
  for (const f of p.findings) {
    ctx.fillStyle = f.severity === 'loss' ? COLORS.loss : f.severity === 'warn' ? COLORS.warn : MUTED;
    ctx.font = 'bold 13px sans-serif';
    ctx.fillText(
      fit(ctx, `${f.rule} ${f.title}${f.hop !== null ? ` at ${f.hop}` : ''}`, width - 2 * PAD),
      PAD,
      y,
    );
    y += LINE;
    ctx.fillStyle = INK;
    ctx.font = '12px sans-serif';
    for (const e of f.evidence.slice(0, 3)) {
      ctx.fillText(fit(ctx, `· ${e}`, width - 2 * PAD - 12), PAD + 12, y);
      y += LINE;
    }
    ctx.fillStyle = MUTED;
    for (const n of notesOf(p, f)) {
      ctx.fillText(fit(ctx, `ⓘ ${n}`, width - 2 * PAD - 12), PAD + 12, y);
      y += LINE;
    }
    ctx.fillStyle = INK;
    ctx.fillText(fit(ctx, `Fix: ${f.fix}`, width - 2 * PAD - 12), PAD + 12, y);
    y += LINE;
  }
  ctx.fillStyle = MUTED;
  ctx.font = '11px monospace';
  ctx.fillText(fit(ctx, p.url, width - 2 * PAD), PAD, height - 26);
}
