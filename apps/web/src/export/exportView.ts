import type { AppState } from '../store/index.ts';
import { waterfallOf } from '../panels/waterfall.ts';
import { drawReport, type ReportPicture, reportSize } from './drawReport.ts';
import { findingsMarkdown } from './markdown.ts';
import { withText } from './pngText.ts';

function when(s: AppState): string {
  const t = s.t === 'live' ? s.lastT : (s.playhead ?? Date.parse(s.t));
  const at = t === null || !Number.isFinite(t) ? 'no sample yet' : new Date(t).toISOString();
  return `${s.t === 'live' ? 'live' : 'replay'} at ${at}`;
}

export function pictureOf(s: AppState, url: string): ReportPicture {
  const waterfall = s.path === null ? null : waterfallOf(s.path, s.statsById, s.ifaceById);
  return {
    host: s.host,
    when: when(s),
    windowSeconds: s.windowSeconds,
    url,
    waterfall,
    findings: s.findings,
    notes: new Map(
      s.findings.flatMap((f) => {
        const notes = f.hop === null ? '' : (s.statsById.get(f.hop)?.notes ?? '');
        return notes === '' || f.hop === null ? [] : [[f.hop, notes.split('\n')] as const];
      }),
    ),
    offPath: Math.max(0, (s.topology?.ifaces.length ?? 0) - (s.path?.length ?? 0)),
  };
}

export function markdownOf(s: AppState, url: string): string {
  const p = pictureOf(s, url);
  return findingsMarkdown({
    host: p.host,
    at: p.when,
    windowSeconds: p.windowSeconds,
    url,
    findings: p.findings,
    waterfall: p.waterfall,
    notesOf: (hop) => s.statsById.get(hop)?.notes ?? '',
  });
}

/**
 * The view as a PNG for the ticket: drawn, then tagged with tEXt chunks (`hopwatch:path`,
 * `hopwatch:url`, `hopwatch:time`) so what it shows can be read back by a person or a script.
 */
export async function renderPng(s: AppState, url: string, doc: Document = document): Promise<Uint8Array> {
  const picture = pictureOf(s, url);
  const { width, height } = reportSize(picture);
  const canvas = doc.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error('no 2D canvas in this browser');
  drawReport(ctx, picture);
  const blob = await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob(
      (b) => (b === null ? reject(new Error('the canvas gave no PNG')) : resolve(b)),
      'image/png',
    ),
  );
  const bytes = new Uint8Array(await blob.arrayBuffer());
  return withText(bytes, {
    'hopwatch:path': (s.path ?? []).join(' '),
    'hopwatch:url': url,
    'hopwatch:time': picture.when,
  });
}

/** A file name that sorts by time and says which host. */
export function pngName(s: AppState): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `hopwatch-${(s.host ?? 'view').replace(/[^\w.-]+/g, '_')}-${stamp}.png`;
}
