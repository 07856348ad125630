import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openStore } from '@hopwatch/hub';
import { exportFileName, exportStream, resolveExport } from '@hopwatch/hub/replay/export';
import { RecordingFileError } from '@hopwatch/hub/replay/import';
import { serveRecording } from '@hopwatch/hub/replay/serve';
import { openMarks } from '@hopwatch/hub/store/marks';
import { parseTime } from '@hopwatch/hub/time';
import { type Command, intOption, parseCommandArgs, UsageError } from '../command.ts';
import { defaultDbPath, untilSignal } from './hub.ts';

/** Not 7070: a replay usually runs beside the live hub of `hopwatch start`. */
export const REPLAY_DEFAULT_PORT = 7071;

const HELP = `hopwatch replay: replay, export and import recordings.

Usage: hopwatch replay FILE [--port N] [--listen ADDR]
       hopwatch replay export (--hub URL | --db PATH) [--host H]... [--start T] [--end T]
                              [--rec ID] [-o FILE]
       hopwatch replay import FILE --hub URL [--host-suffix S]
       hopwatch replay list --hub URL
  (with --hub: [--token T | --token-file F], else $HOPWATCH_TOKEN, else the token file beside
   the default database, which a hub started by this user on this machine created)

  FILE             a recording exported by a hub (gzip'd NDJSON, apps/hub/src/replay/FORMAT.md)
  --port N         replay: port of the replay hub (default ${REPLAY_DEFAULT_PORT}; 0 picks a free one)
  --listen ADDR    replay: address to bind (default 127.0.0.1)
  --hub URL        a running hub (http://HOST:PORT)
  --db PATH        export straight from a recording database (a running hub's file works too)
  --host H         export this host (repeatable; default every host, or the recording's)
  --start/--end T  export range: ISO time or ms since the epoch (default everything recorded,
                   or the named recording's range)
  --rec ID         export a named recording (its hosts, its range, and the mark itself)
  -o FILE          where to write the export (default: a name from the hosts and the start time)
  --host-suffix S  import: append S to every host name (to import beside the same host)
  --token T        the hub's access token (viewer for export and list, operator for import)
  --token-file F   read it from F instead (not visible in the process list)

'hopwatch replay FILE' serves the file on loopback with the web app and API, no agents and no
network: a temporary store loaded from the file, removed at exit. Open the printed URL.`;

const OPTIONS = {
  port: { type: 'string' },
  listen: { type: 'string' },
  hub: { type: 'string' },
  db: { type: 'string' },
  host: { type: 'string', multiple: true },
  start: { type: 'string' },
  end: { type: 'string' },
  rec: { type: 'string' },
  output: { type: 'string', short: 'o' },
  'host-suffix': { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

function hubUrl(v: string | undefined, sub: string): string {
  if (v === undefined) throw new UsageError(`hopwatch replay ${sub}: --hub URL is required`);
  return v.replace(/\/+$/, '').replace(/^ws/, 'http');
}

function time(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = parseTime(v);
  if (t === null)
    throw new UsageError(`hopwatch replay export: --${flag} must be an ISO time or ms, got "${v}"`);
  return t;
}

/**
 * The access token for --hub: --token, --token-file, $HOPWATCH_TOKEN, or the operator token a
 * hub started by this user keeps beside the default database. Sent as a bearer token with the
 * header every change needs (cross-site request protection).
 */
function hubHeaders(v: Values, sub: string): Record<string, string> {
  let token = v.token;
  if (token === undefined && v['token-file'] !== undefined) {
    if (!existsSync(v['token-file']))
      throw new UsageError(`hopwatch replay ${sub}: no such token file ${v['token-file']}`);
    token = readFileSync(v['token-file'], 'utf8').trim();
  }
  token ??= process.env.HOPWATCH_TOKEN || undefined;
  if (token === undefined) {
    const beside = `${defaultDbPath()}.token`;
    if (existsSync(beside)) token = readFileSync(beside, 'utf8').trim();
  }
  return { 'x-hopwatch': '1', ...(token ? { authorization: `Bearer ${token}` } : {}) };
}

function authHint(status: number): string {
  if (status === 401) return " (pass the hub's access token: --token, --token-file or HOPWATCH_TOKEN)";
  if (status === 403) return ' (this token may not do that: importing needs an operator token)';
  return '';
}

async function httpError(res: Response): Promise<string> {
  const text = await res.text();
  try {
    return (JSON.parse(text) as { error?: string }).error ?? text;
  } catch {
    return text;
  }
}

export const DEFAULT_EXPORT_NAME = 'hopwatch-recording.hwrec.ndjson.gz';
/** What a hub's export name looks like (exportFileName): nothing else is taken from a hub. */
const EXPORT_NAME_RE = /^hopwatch-[A-Za-z0-9_.-]{1,200}\.hwrec\.ndjson\.gz$/;

/**
 * The file name a hub suggests in Content-Disposition, if it is one of ours: a bare name (no
 * directory: `../../etc/x` is not taken, and `basename` alone would still leave `..` or `-rf`),
 * starting with `hopwatch-` and ending in the recording suffix. Else the default name: a hub
 * decides what is written, never where.
 */
export function safeExportName(disposition: string | null): string {
  const given = /filename="([^"]+)"/.exec(disposition ?? '')?.[1];
  if (given === undefined) return DEFAULT_EXPORT_NAME;
  const name = basename(given);
  return name === given && EXPORT_NAME_RE.test(name) && !name.includes('..') ? name : DEFAULT_EXPORT_NAME;
}

type Values = ReturnType<typeof parseCommandArgs<typeof OPTIONS>>['values'];

async function exportCommand(v: Values): Promise<number> {
  const start = time('start', v.start);
  const end = time('end', v.end);
  if (v.db !== undefined) {
    if (!existsSync(v.db)) throw new UsageError(`hopwatch replay export: no such database ${v.db}`);
    const store = openStore(v.db, { readonly: true });
    try {
      const marks = openMarks(store);
      const rec = v.rec === undefined ? undefined : (marks.get(v.rec) ?? undefined);
      if (v.rec !== undefined && rec === undefined) throw new Error(`no recording "${v.rec}" in ${v.db}`);
      const req = resolveExport(store, marks.list(), { hosts: v.host, start, end, rec });
      const out = v.output ?? exportFileName(req);
      await pipeline(exportStream(store, req), createWriteStream(out));
      console.log(`hopwatch replay: wrote ${out} (${req.hosts.join(', ')})`);
    } finally {
      store.close();
    }
    return 0;
  }
  const base = hubUrl(v.hub, 'export');
  const q = new URLSearchParams();
  if (v.host) q.set('hosts', v.host.join(','));
  if (start !== undefined) q.set('start', String(start));
  if (end !== undefined) q.set('end', String(end));
  if (v.rec !== undefined) q.set('rec', v.rec);
  const res = await fetch(`${base}/api/export?${q}`, { headers: hubHeaders(v, 'export') });
  if (!res.ok || res.body === null) {
    console.error(`hopwatch replay export: ${res.status} ${await httpError(res)}${authHint(res.status)}`);
    return 1;
  }
  const named = safeExportName(res.headers.get('content-disposition'));
  const out = v.output ?? named;
  try {
    await pipeline(
      Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      // A name the hub chose never replaces a file that is already there.
      createWriteStream(out, { flags: v.output === undefined ? 'wx' : 'w' }),
    );
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    console.error(`hopwatch replay export: ${out} already exists; pass -o FILE to choose where to write`);
    return 1;
  }
  console.log(`hopwatch replay: wrote ${out}`);
  return 0;
}

async function importCommand(file: string | undefined, v: Values): Promise<number> {
  if (file === undefined) throw new UsageError('hopwatch replay import: which FILE?');
  if (!existsSync(file)) throw new UsageError(`hopwatch replay import: no such file ${file}`);
  const base = hubUrl(v.hub, 'import');
  const suffix = v['host-suffix'] ? `?hostSuffix=${encodeURIComponent(v['host-suffix'])}` : '';
  const res = await fetch(`${base}/api/import${suffix}`, {
    method: 'POST',
    headers: { ...hubHeaders(v, 'import'), 'content-type': 'application/gzip' },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  if (!res.ok) {
    console.error(
      `hopwatch replay import: ${res.status} ${await httpError(res)} (nothing was imported)${authHint(res.status)}`,
    );
    return 1;
  }
  const r = (await res.json()) as { hosts: { host: string }[]; samples: number; recordings: string[] };
  console.log(
    `hopwatch replay: imported ${r.samples} samples of ${r.hosts.map((h) => h.host).join(', ')}` +
      (r.recordings.length > 0 ? ` and ${r.recordings.length} named recording(s)` : ''),
  );
  return 0;
}

async function listCommand(v: Values): Promise<number> {
  const res = await fetch(`${hubUrl(v.hub, 'list')}/api/recordings`, { headers: hubHeaders(v, 'list') });
  if (!res.ok) {
    console.error(`hopwatch replay list: ${res.status} ${await httpError(res)}${authHint(res.status)}`);
    return 1;
  }
  const { recordings } = (await res.json()) as {
    recordings: { id: string; name: string; hosts: string[] | null; start: number; end: number }[];
  };
  for (const m of recordings) {
    const span = `${new Date(m.start).toISOString()} → ${new Date(m.end).toISOString()}`;
    console.log(`${m.id}  ${span}  ${(m.hosts ?? ['every host']).join(',')}  ${m.name}`);
  }
  if (recordings.length === 0) console.log('no named recordings');
  return 0;
}

async function serveCommand(file: string, v: Values): Promise<number> {
  if (!existsSync(file)) throw new UsageError(`hopwatch replay: no such file ${file}`);
  try {
    const server = await serveRecording({
      file,
      port: intOption('replay', 'port', v.port, 0, 65535) ?? REPLAY_DEFAULT_PORT,
      listen: v.listen ?? '127.0.0.1',
    });
    const hosts = server.loaded.hosts.map((h) => h.host).join(', ');
    console.log(
      `hopwatch replay: ${server.hub.url}  (${file}: ${server.loaded.samples} samples of ${hosts})`,
    );
    console.log(`hopwatch replay: open ${server.startUrl}`);
    return await untilSignal(() => server.close());
  } catch (e) {
    if (e instanceof RecordingFileError) {
      console.error(`hopwatch replay: ${file}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'replay a recording file offline; export or import recordings (replay export|import|list)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('replay', OPTIONS, argv);
    const [first, second] = positionals;
    switch (first) {
      case 'export':
        return exportCommand(values);
      case 'import':
        return importCommand(second, values);
      case 'list':
        return listCommand(values);
      case undefined:
        throw new UsageError('hopwatch replay: which FILE? (or export, import, list)');
      default:
        return serveCommand(first, values);
    }
  },
};
