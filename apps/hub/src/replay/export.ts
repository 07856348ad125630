import { Readable } from 'node:stream';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import { PROTOCOL_VERSION } from '@hopwatch/shared';
import type { Mark } from '../store/marks.ts';
import type { RecordingStore } from '../seams/recording.ts';
import {
  type Counts,
  emptyCounts,
  type Header,
  type Line,
  RECORDING_FILE_SUFFIX,
  RECORDING_FORMAT,
  RECORDING_FORMAT_VERSION,
} from './format.ts';

/**
 * Pages of this length are read from the store one at a time: readRange fetches every chunk row
 * its range touches at once, so a 24 h export in one call would hold the whole day in memory.
 */
export const EXPORT_PAGE_MS = 10 * 60_000;
export const EXPORT_PAGE_SAMPLES = 600;
export const EXPORT_PAGE_TOPOLOGIES = 60;
export const GENERATOR = 'hopwatch-hub 0.1.0';

export interface ExportRequest {
  hosts: string[];
  start: number;
  end: number;
  /** Named recordings to carry along (the caller picks those that overlap the range). */
  marks: Mark[];
}

const line = (l: Line) => `${JSON.stringify(l)}\n`;

/**
 * The file's lines, host by host, page by page: a topology version always comes before the
 * samples it governs. Yields to the event loop between pages so an export never stalls ingest.
 */
export async function* recordingLines(store: RecordingStore, req: ExportRequest): AsyncGenerator<string> {
  const header: Header = {
    format: RECORDING_FORMAT,
    version: RECORDING_FORMAT_VERSION,
    created: new Date().toISOString(),
    generator: GENERATOR,
    protocol: PROTOCOL_VERSION,
    start: req.start,
    end: req.end,
    hosts: req.hosts,
  };
  // Key order is part of the format: `format` and `version` open the file (FORMAT.md).
  yield `${JSON.stringify(header)}\n`;
  const counts: Counts = emptyCounts();
  for (const m of req.marks) {
    counts.mark += 1;
    yield line({
      type: 'mark',
      mark: { id: m.id, name: m.name, hosts: m.hosts, start: m.start, end: m.end },
    });
  }
  for (const host of req.hosts) {
    const written = new Set<number>();
    // Only what the host has on record: a request from 1970 to 2100 is not 7 million pages.
    await store.load?.(host, req.start, req.start);
    const recorded = recordedRange(store, host);
    if (recorded === null) continue;
    const from = Math.max(req.start, recorded.start);
    const to = Math.min(req.end, recorded.end);
    for (let s = from; s <= to; ) {
      const pageEnd = Math.min(to, s + EXPORT_PAGE_MS - 1);
      // A page is also capped in samples (an agent at 100 ms puts 6000 in 10 minutes).
      await store.load?.(host, s, pageEnd);
      const rec = store.readRange(host, s, pageEnd, {
        maxSamples: EXPORT_PAGE_SAMPLES,
        maxTopologies: EXPORT_PAGE_TOPOLOGIES,
      });
      if (typeof rec.nextStart === 'number' && rec.nextStart <= s)
        throw new Error(`export: ${host}'s read from ${s} does not advance (nextStart ${rec.nextStart})`);
      s = rec.nextStart ?? pageEnd + 1;
      for (const v of rec.topologies) {
        if (written.has(v.t)) continue;
        written.add(v.t);
        counts.topology += 1;
        yield line({ type: 'topology', host, t: v.t, topology: v.topology });
      }
      for (const sample of rec.samples) {
        counts.sample += 1;
        yield line({ type: 'sample', host, sample });
      }
      for (const keyframe of rec.keyframes) {
        counts.keyframe += 1;
        yield line({ type: 'keyframe', host, keyframe });
      }
      await yieldToLoop();
    }
  }
  yield line({ type: 'end', counts });
}

/** The compressed file as a stream (pipe it to a response or a file). */
export function exportStream(store: RecordingStore, req: ExportRequest): Readable {
  return Readable.from(recordingLines(store, req)).pipe(createGzip({ level: 6 }));
}

/** First chunk start (SQL, by index) to lastT: the range a host has on record, or null. */
export function recordedRange(store: RecordingStore, host: string): { start: number; end: number } | null {
  const end = store.lastT(host);
  if (end === null) return null;
  const first = store.firstStart(host);
  if (first !== null) return { start: first, end };
  // Nothing on disk yet (the first chunk is still open): the samples in memory say.
  const pending = store.readRange(host, end - 3600_000, end).samples[0];
  return { start: pending ? pending.t - pending.elapsedMs : end, end };
}

/** Marks that overlap [start, end] and name one of `hosts` (or every host). */
export function marksFor(all: readonly Mark[], hosts: readonly string[], start: number, end: number): Mark[] {
  return all.filter(
    (m) => m.start <= end && m.end >= start && (m.hosts === null || m.hosts.some((h) => hosts.includes(h))),
  );
}

export class ExportRequestError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface ExportQuery {
  hosts?: string[] | undefined;
  start?: number | null | undefined;
  end?: number | null | undefined;
  /** A named recording: its hosts and range unless given, and it travels in the file. */
  rec?: Mark | undefined;
}

/**
 * Fills in what was left out: every host (or the mark's), the union of their recorded ranges (or
 * the mark's), and the marks that overlap. Shared by the route and `hopwatch replay export --db`.
 */
export function resolveExport(
  store: RecordingStore,
  allMarks: readonly Mark[],
  q: ExportQuery,
): ExportRequest {
  const known = store.hosts();
  const hosts = q.hosts ?? q.rec?.hosts ?? known;
  const unknown = hosts.filter((h) => !known.includes(h));
  if (unknown.length > 0)
    throw new ExportRequestError(`unknown host "${unknown[0]}"`, 404, { knownHosts: known });
  const ranges = hosts.map((h) => recordedRange(store, h)).filter((r) => r !== null);
  if (ranges.length === 0) throw new ExportRequestError('nothing recorded for these hosts yet', 404);
  const start = q.start === undefined ? (q.rec?.start ?? Math.min(...ranges.map((r) => r.start))) : q.start;
  const end = q.end === undefined ? (q.rec?.end ?? Math.max(...ranges.map((r) => r.end))) : q.end;
  if (start === null || end === null || end < start)
    throw new ExportRequestError('start and end must be ms since the epoch or ISO times, start ≤ end', 400);
  return { hosts, start, end, marks: q.rec ? [q.rec] : marksFor(allMarks, hosts, start, end) };
}

const compactIso = (t: number) =>
  new Date(t)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

export function exportFileName(req: ExportRequest): string {
  const label =
    req.hosts.length === 1 ? req.hosts[0]!.replace(/[^\w.-]+/g, '_') : `${req.hosts.length}-hosts`;
  return `hopwatch-${label}-${compactIso(req.start)}${RECORDING_FILE_SUFFIX}`;
}
