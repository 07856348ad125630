import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type Response, Router } from 'express';
import type { HubCore } from '../core.ts';
import { MarkError, type MarkInput } from '../store/marks.ts';
import { isLocalStore } from '../store/store.ts';
import { parseTime } from '../time.ts';
import {
  type ExportRequest,
  ExportRequestError,
  exportFileName,
  exportStream,
  recordedRange,
  resolveExport,
} from './export.ts';
import { RECORDING_MEDIA_TYPE } from './format.ts';
import {
  IMPORT_IDLE_MS,
  IMPORT_MAX_COMPRESSED_BYTES,
  ImportConflictError,
  type ImportLimits,
  ImportTooLargeError,
  importRecording,
  RecordingFileError,
} from './import.ts';

export interface ReplayRouteOptions {
  /** The file this hub replays (`hopwatch replay FILE`), or null for a live hub. */
  source: string | null;
  /** Caps on one import (defaults in import.ts). */
  importLimits?: Partial<ImportLimits>;
}

/** Seconds a client refused because another import runs is told to wait (Retry-After). */
const IMPORT_BUSY_RETRY_S = 30;
/** How long a refused upload is still read (and discarded) before its connection is cut. */
const IMPORT_REFUSED_LINGER_MS = 2_000;

const JSON_LIMIT = '16kb';

function query(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

function fail(res: Response, status: number, error: string, extra: Record<string, unknown> = {}): void {
  res.status(status).json({ error, ...extra });
}

/** Body times may be ms numbers or ISO strings, as in query strings. */
function bodyTime(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? v : null;
  return parseTime(v);
}

function markInput(body: unknown, partial: boolean): Partial<MarkInput> {
  const b = (body ?? {}) as Record<string, unknown>;
  const out: Partial<MarkInput> = {};
  if (b.name !== undefined || !partial) out.name = typeof b.name === 'string' ? b.name : '';
  for (const k of ['start', 'end'] as const) {
    if (b[k] === undefined && partial) continue;
    const t = bodyTime(b[k]);
    if (t === null) throw new MarkError(`${k} must be ms since the epoch or an ISO time`);
    out[k] = t;
  }
  if (b.hosts !== undefined) out.hosts = b.hosts as string[] | null;
  return out;
}

/**
 * Named recordings (`/api/recordings`), export (`GET /api/export`), import (`POST /api/import`)
 * and what this hub replays (`GET /api/replay`). Mounted before the hub's own /api router, whose
 * last route answers every unknown path with a 404.
 */
export function replayRouter(core: HubCore, opts: ReplayRouteOptions): Router {
  const router = Router();
  const { store } = core;
  const marks = store.marks();
  const json = express.json({ limit: JSON_LIMIT });

  router.get('/replay', (_req, res) => {
    const hosts = store
      .hosts()
      .map((host) => ({ host, ...recordedRange(store, host) }))
      .filter((h) => h.start !== undefined);
    res.json({
      source: opts.source === null ? 'live' : 'file',
      // The file's name, not its path (no paths in API answers).
      file: opts.source === null ? null : basename(opts.source),
      hosts,
      recordings: marks.list(),
    });
  });

  router.get('/recordings', (_req, res) => res.json({ recordings: marks.list() }));

  router.post('/recordings', json, (req, res) => {
    try {
      res.status(201).json(marks.create(markInput(req.body, false) as MarkInput));
    } catch (e) {
      if (e instanceof MarkError) return fail(res, 400, e.message);
      throw e;
    }
  });

  router.get('/recordings/:id', (req, res) => {
    const m = marks.get(req.params.id);
    if (!m) return fail(res, 404, `no recording "${req.params.id}"`);
    res.json(m);
  });

  router.patch('/recordings/:id', json, (req, res) => {
    try {
      const m = marks.update(req.params.id, markInput(req.body, true));
      if (!m) return fail(res, 404, `no recording "${req.params.id}"`);
      res.json(m);
    } catch (e) {
      if (e instanceof MarkError) return fail(res, 400, e.message);
      throw e;
    }
  });

  router.delete('/recordings/:id', (req, res) => {
    if (!marks.remove(req.params.id)) return fail(res, 404, `no recording "${req.params.id}"`);
    res.status(204).end();
  });

  router.get('/export', async (req, res) => {
    const recId = query(req, 'rec');
    const rec = recId === undefined ? undefined : (marks.get(recId) ?? undefined);
    if (recId !== undefined && rec === undefined) return fail(res, 404, `no recording "${recId}"`);
    const startQ = query(req, 'start');
    const endQ = query(req, 'end');
    let want: ExportRequest;
    try {
      want = resolveExport(store, marks.list(), {
        hosts: (query(req, 'hosts') ?? query(req, 'host'))?.split(',').filter((h) => h !== ''),
        start: startQ === undefined ? undefined : parseTime(startQ),
        end: endQ === undefined ? undefined : parseTime(endQ),
        rec,
      });
    } catch (e) {
      if (e instanceof ExportRequestError) return fail(res, e.status, e.message, e.extra);
      throw e;
    }
    res.setHeader('Content-Type', RECORDING_MEDIA_TYPE);
    res.setHeader('Content-Disposition', `attachment; filename="${exportFileName(want)}"`);
    try {
      await pipeline(exportStream(store, want), res);
    } catch (e) {
      core.log.warn(`export of ${want.hosts.join(',')} stopped: ${(e as Error).message}`);
      res.destroy();
    }
  });

  /**
   * One import at a time: each holds a temporary copy of its file on disk and a share of the CPU,
   * and the conflict check against the store is only sound with no other import writing.
   */
  let importing: string | null = null;
  const maxCompressed = opts.importLimits?.maxCompressedBytes ?? IMPORT_MAX_COMPRESSED_BYTES;
  const idleMs = opts.importLimits?.idleMs ?? IMPORT_IDLE_MS;

  router.post('/import', async (req, res) => {
    const suffix = query(req, 'hostSuffix') ?? '';
    if (/[/\s]/.test(suffix)) return fail(res, 400, 'hostSuffix may not contain "/" or spaces');
    // A refusal with the upload still coming: answer at once, discard what the client still
    // sends for a moment (so it reads the answer instead of a reset), then cut the connection.
    const refuse = (status: number, error: string) => {
      fail(res, status, error, { imported: false });
      if (req.complete) return;
      req.resume();
      const cut = setTimeout(() => req.socket.destroy(), IMPORT_REFUSED_LINGER_MS);
      req.socket.once('close', () => clearTimeout(cut));
      req.once('end', () => clearTimeout(cut));
    };
    if (!isLocalStore(store))
      return refuse(
        501,
        'this hub records to a shared stream (--nats); import into a hub with its own recording file (hopwatch replay FILE)',
      );
    if (importing !== null) {
      res.setHeader('Retry-After', String(IMPORT_BUSY_RETRY_S));
      return refuse(
        429,
        `another import (from ${importing}) is running; one import at a time, try again when it has finished`,
      );
    }
    const length = Number(req.headers['content-length']);
    if (Number.isFinite(length) && length > maxCompressed)
      return refuse(
        413,
        `the file is ${length} bytes; this hub takes imports of at most ${maxCompressed} bytes`,
      );
    importing = `${req.socket.remoteAddress ?? '?'} at ${new Date().toISOString()}`;
    // A stalled upload would hold the one import slot: cut it when it sends nothing for a while,
    // but only while it uploads (the client waits in silence while the file is written).
    req.setTimeout(idleMs, () => req.destroy(new Error(`the upload sent nothing for ${idleMs / 1000} s`)));
    req.once('end', () => req.setTimeout(0));
    try {
      const r = await importRecording(store, req, {
        hostSuffix: suffix,
        ...(opts.importLimits ? { limits: opts.importLimits } : {}),
      });
      for (const [host, v] of r.latest) if (!core.hosts.has(host)) core.onTopology(host, v.t, v.topology);
      core.log.info(`imported ${r.samples} samples of ${r.hosts.map((h) => h.host).join(', ')}`);
      res.status(201).json({
        hosts: r.hosts,
        samples: r.samples,
        topologies: r.topologies,
        keyframes: r.keyframes,
        recordings: r.marks,
      });
    } catch (e) {
      if (e instanceof ImportTooLargeError) return refuse(413, e.message);
      if (e instanceof RecordingFileError) return fail(res, 400, e.message, { imported: false });
      if (e instanceof ImportConflictError) return fail(res, 409, e.message, { imported: false });
      // Logged in full; answered without it (a disk error names the hub's temporary files).
      core.log.error(`import failed: ${(e as Error).stack ?? (e as Error).message}`);
      fail(res, 500, 'import failed on the hub (nothing was imported); its log says why', {
        imported: false,
      });
    } finally {
      importing = null;
    }
  });

  return router;
}
