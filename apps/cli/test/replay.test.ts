import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { openStore } from '@hopwatch/hub';
import { openMarks } from '@hopwatch/hub/store/marks';
import { IFACE_COUNTERS, type Topology } from '@hopwatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `hopwatch replay export --db` and the refusals of `replay` / `replay import`, as a user runs them. */
const CLI = new URL('../../../bin/hopwatch.mjs', import.meta.url).pathname;
const run = promisify(execFile);
const T0 = 1_700_000_000_000;
const dir = mkdtempSync(join(tmpdir(), 'hwt-rp-cli-'));
const db = join(dir, 'rec.db');
let markId = '';

async function hopwatch(args: string[], cwd = dir): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args], { cwd, timeout: 60_000 });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

beforeAll(() => {
  const store = openStore(db, { autoPump: false, retentionMs: 1e13 });
  const topology: Topology = { host: 'h1', kernel: 'test', cpus: 1, namespaces: [], ifaces: [], routes: [] };
  store.appendTopology('h1', T0, topology);
  for (let i = 1; i <= 30; i++)
    store.append('h1', {
      t: T0 + i * 1000,
      elapsedMs: 1000,
      ifaces: { eth0: IFACE_COUNTERS.map(() => i) },
      softnet: [],
      qdiscs: {},
      snmp: {},
      drops: [],
      sysctls: {},
      tracing: { state: 'off', detail: null, lost: 0 },
    });
  store.flush();
  markId = openMarks(store).create({ name: 'INC-1', hosts: ['h1'], start: T0 + 10_000, end: T0 + 20_000 }).id;
  store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hopwatch replay (CLI)', () => {
  it('export --db writes a recording of a named recording, named after host and start', async () => {
    const r = await hopwatch(['replay', 'export', '--db', db, '--rec', markId]);
    expect(r.code).toBe(0);
    const name = /wrote (\S+)/.exec(r.out)![1]!;
    expect(name).toBe('hopwatch-h1-20231114T221330Z.hwrec.ndjson.gz');
    const lines = gunzipSync(readFileSync(join(dir, name)))
      .toString()
      .trimEnd()
      .split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ format: 'hopwatch-recording', version: 1, hosts: ['h1'] });
    expect(JSON.parse(lines.at(-1)!)).toEqual({
      type: 'end',
      counts: { topology: 1, sample: 11, keyframe: 0, mark: 1 },
    });
  });

  it('replay FILE refuses a file that is not a recording, in words, exit 1; no FILE is a usage error', async () => {
    const bad = join(dir, 'notes.txt');
    writeFileSync(bad, 'hello\n');
    const r = await hopwatch(['replay', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/not a hopwatch recording: the file is not gzip-compressed/);
    expect((await hopwatch(['replay'])).code).toBe(2);
    expect((await hopwatch(['replay', 'import', bad])).err).toMatch(/--hub URL is required/);
  }, 60_000);
});

describe('hopwatch replay export --hub: the hub names the file, it does not choose where it goes', () => {
  it('EXP-NAME: a hostile Content-Disposition (../../etc/x, -rf, an absolute path) falls back to the default name in the current directory', async () => {
    const { createServer } = await import('node:http');
    const { existsSync, readdirSync } = await import('node:fs');
    const { safeExportName, DEFAULT_EXPORT_NAME } = await import('../src/commands/replay.ts');
    for (const hostile of [
      '../../etc/x',
      '-rf',
      '/tmp/hwt-owned.hwrec.ndjson.gz',
      '../hopwatch-x.hwrec.ndjson.gz',
    ])
      expect(safeExportName(`attachment; filename="${hostile}"`)).toBe(DEFAULT_EXPORT_NAME);
    expect(safeExportName('attachment; filename="hopwatch-h1-20231114T221330Z.hwrec.ndjson.gz"')).toBe(
      'hopwatch-h1-20231114T221330Z.hwrec.ndjson.gz',
    );
    const server = createServer((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/gzip',
        'content-disposition': 'attachment; filename="../../etc/hwt-owned"',
      });
      res.end('not really gzip');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const sub = mkdtempSync(join(dir, 'export-'));
    try {
      const before = readdirSync(dir).sort();
      const r = await hopwatch(['replay', 'export', '--hub', `http://127.0.0.1:${port}`], sub);
      expect(r.out).toContain(`wrote ${DEFAULT_EXPORT_NAME}`);
      expect(readdirSync(sub)).toEqual([DEFAULT_EXPORT_NAME]);
      expect(existsSync(join(dir, '..', 'etc', 'hwt-owned'))).toBe(false);
      expect(readdirSync(dir).sort()).toEqual(before);
      // A second export with a hub-chosen name does not overwrite the first.
      const again = await hopwatch(['replay', 'export', '--hub', `http://127.0.0.1:${port}`], sub);
      expect(again.code).toBe(1);
      expect(again.err).toMatch(/already exists; pass -o FILE/);
    } finally {
      server.close();
    }
  }, 60_000);
});
