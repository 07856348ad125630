import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Logger } from '../log.ts';
import { type Hub, startHub } from '../server.ts';
import { openStore } from '../store/store.ts';
import { type ImportResult, importRecording } from './import.ts';

/** A replayed file is never expired: retention would otherwise delete yesterday's incident at once. */
const KEEP_FOREVER_MS = 100 * 365 * 24 * 3600_000;

export interface ReplayServer {
  hub: Hub;
  loaded: ImportResult;
  /** The app at the file's first moment (its first named recording, else the first host's start), signed in. */
  startUrl: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  file: string;
  port?: number;
  listen?: string;
  log?: Logger;
  webDist?: string;
}

/**
 * `hopwatch replay FILE`: the file loaded into a temporary store, served by a hub with no agent
 * ingest (its agent token is random and never shown, so no agent can authenticate), removed on
 * close. The hub, the API and the web app are the live ones, so a replayed file looks and
 * judges exactly like the hub that recorded it.
 */
export async function serveRecording(opts: ServeOptions): Promise<ReplayServer> {
  const dir = mkdtempSync(join(tmpdir(), 'hopwatch-replay-'));
  const db = join(dir, 'replay.db');
  try {
    const store = openStore(db, { autoPump: false, retentionMs: KEEP_FOREVER_MS });
    let loaded: ImportResult;
    try {
      loaded = await importRecording(store, createReadStream(opts.file));
    } finally {
      store.close();
    }
    const hub = await startHub({
      db,
      port: opts.port ?? 0,
      listen: opts.listen ?? '127.0.0.1',
      agentToken: randomBytes(32).toString('base64url'),
      retentionMs: KEEP_FOREVER_MS,
      retentionBytes: Number.MAX_SAFE_INTEGER,
      replaySource: basename(opts.file),
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.webDist ? { webDist: opts.webDist } : {}),
    });
    return {
      hub,
      loaded,
      startUrl: withToken(`${hub.url}/${startQuery(hub, loaded)}`, hub.loginUrl),
      async close() {
        await hub.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** The login URL's token on the start URL: one link opens the replay signed in. */
function withToken(url: string, loginUrl: string | null): string {
  const token = loginUrl === null ? null : new URL(loginUrl).searchParams.get('token');
  if (token === null) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}

function startQuery(hub: Hub, loaded: ImportResult): string {
  const first = loaded.hosts.find((h) => h.samples > 0);
  if (!first) return '';
  const host = encodeURIComponent(first.host);
  const markId = loaded.marks[0];
  if (markId !== undefined) return `?host=${host}&rec=${encodeURIComponent(markId)}&pos=0`;
  // One sample in: the first judgement window then holds a whole interval.
  const t =
    hub.store.readRange(first.host, first.start, Math.min(first.end, first.start + 60_000)).samples[0]?.t ??
    first.start;
  return `?host=${host}&t=${new Date(t).toISOString()}`;
}
