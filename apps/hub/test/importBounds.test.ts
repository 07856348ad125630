import { request } from 'node:http';
import { Readable } from 'node:stream';
import { createGzip, gunzipSync, gzipSync } from 'node:zlib';
import { IFACE_COUNTERS } from '@hopwatch/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { exportStream } from '../src/replay/export.ts';
import { ImportTooLargeError, importRecording } from '../src/replay/import.ts';
import { LineSplitter, LineTooLongError } from '../src/replay/lines.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';
import { TEST_AUTH, authHeaders } from './helpers/auth.ts';

const MiB = 1024 ** 2;
const T0 = 1_700_000_000_000;
const hubs: Hub[] = [];
const stores: Store[] = [];
async function hub(over: Partial<Parameters<typeof startHub>[0]> = {}): Promise<Hub> {
  const h = await startHub({
    auth: TEST_AUTH,
    port: 0,
    db: ':memory:',
    agentToken: null,
    log: silentLogger,
    ...over,
  });
  hubs.push(h);
  return h;
}
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
  for (const s of stores.splice(0)) s.close();
});

/** `seconds` of one host as a recording file (gzip'd NDJSON), exported by the hub's own code. */
async function recording(seconds: number, host = 'h1'): Promise<Buffer> {
  const s = openStore(':memory:', { autoPump: false });
  stores.push(s);
  s.appendTopology(host, T0, makeTopology(host));
  for (let i = 1; i <= seconds; i++)
    s.append(host, makeSample(T0 + i * 1000, { 'veth-a': row({ txPackets: i }) }));
  s.flush();
  const parts: Buffer[] = [];
  for await (const c of exportStream(s, { hosts: [host], start: T0, end: T0 + seconds * 1000, marks: [] }))
    parts.push(c as Buffer);
  return Buffer.concat(parts);
}

interface Answer {
  status: number;
  body: { error?: string };
}

/** POST /api/import with a body stream; resolves on the answer, whether or not the body was all sent. */
function post(h: Hub, body: Readable, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${h.url}/api/import`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'application/gzip', ...headers },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => {
        text += c.toString();
      });
      res.on('end', () => {
        body.unpipe(req);
        body.destroy();
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] });
      });
    });
    // Once the hub has answered it may cut the upload short: that is the point.
    req.on('error', (e) => (req.writableEnded ? undefined : reject(e)));
    body.pipe(req);
  });
}

describe('import bounds', () => {
  it('IMP1: lines are split in one pass; a line over the cap throws as soon as it is that long', () => {
    const s = new LineSplitter(10);
    expect(s.push(Buffer.from('ab\ncd'))).toEqual(['ab']);
    expect(s.push(Buffer.from('ef\n\ngh'))).toEqual(['cdef', '']);
    expect(s.end()).toBe('gh');
    const long = new LineSplitter(10);
    long.push(Buffer.from('12345'));
    expect(() => long.push(Buffer.from('678901'))).toThrow(LineTooLongError);
    // Multi-byte characters split across chunks come back whole.
    const utf = new LineSplitter(100);
    const bytes = Buffer.from('→ok\n');
    expect([...utf.push(bytes.subarray(0, 1)), ...utf.push(bytes.subarray(1))]).toEqual(['→ok']);
  });

  it('IMP2: a 1 GB single-line import is refused (413) within seconds, the hub’s memory bounded', async () => {
    const h = await hub();
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    // Generated, never on disk: 1 GiB of "a" without a newline, gzip'd on the fly (~1 MB sent).
    const block = Buffer.alloc(MiB, 'a');
    let sent = 0;
    const plain = new Readable({
      read() {
        sent += block.length;
        this.push(sent > 1024 * MiB ? null : block);
      },
    });
    const t0 = performance.now();
    const answer = await post(h, plain.pipe(createGzip({ level: 1 })));
    const ms = performance.now() - t0;
    clearInterval(sampler);
    expect(answer.status).toBe(413);
    expect(answer.body.error).toMatch(/line 1 is longer than \d+ bytes/);
    // Not a timing target (bench:import has those): a refusal that streams the whole gigabyte
    // first, or holds it, takes far longer than this and dies of memory on the way.
    expect(ms).toBeLessThan(30_000);
    expect((peak - rss0) / MiB).toBeLessThan(250);
    // The hub goes on: a proper file imports afterwards.
    const ok = await post(h, Readable.from([await recording(20)]));
    expect(ok.status).toBe(201);
  }, 60_000);

  it('IMP3: one import at a time: a second while one runs gets 429 with Retry-After, in words', async () => {
    const h = await hub();
    const file = await recording(20);
    // The first import sends half its file and waits.
    const slow = new Readable({ read() {} });
    slow.push(file.subarray(0, file.length >> 1));
    const first = post(h, slow);
    await new Promise((r) => setTimeout(r, 200));
    const second = await new Promise<{ status: number; retry: string | undefined; error: string }>(
      (resolve) => {
        const req = request(`${h.url}/api/import`, {
          method: 'POST',
          headers: { ...authHeaders(), 'content-type': 'application/gzip' },
        });
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => {
            text += c.toString();
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              retry: res.headers['retry-after'],
              error: (JSON.parse(text) as { error: string }).error,
            }),
          );
        });
        req.on('error', () => {});
        req.end(file);
      },
    );
    expect(second.status).toBe(429);
    expect(second.retry).toMatch(/^\d+$/);
    expect(second.error).toMatch(/another import .* is running; one import at a time/);
    slow.push(file.subarray(file.length >> 1));
    slow.push(null);
    expect((await first).status).toBe(201);
    // Free again once it finished.
    expect((await post(h, Readable.from([await recording(20, 'h2')]))).status).toBe(201);
  });

  it('IMP4: the compressed size is capped (by Content-Length at once, and while streaming) → 413', async () => {
    const h = await hub({ importLimits: { maxCompressedBytes: 1000 } });
    const file = await recording(60);
    expect(file.length).toBeGreaterThan(1000);
    const byLength = await post(h, Readable.from([file]), { 'content-length': String(file.length) });
    expect(byLength.status).toBe(413);
    expect(byLength.body.error).toMatch(/at most 1000 bytes/);
    const chunked = await post(h, Readable.from([file.subarray(0, 600), file.subarray(600)]));
    expect(chunked.status).toBe(413);
    expect(chunked.body.error).toMatch(/larger than 1000 bytes compressed/);
    expect(h.store.hosts()).toEqual([]);
  });

  it('IMP5: the decompressed size is capped (a gzip bomb stops at the cap), nothing written', async () => {
    const s = openStore(':memory:', { autoPump: false });
    stores.push(s);
    const file = await recording(60);
    await expect(
      importRecording(s, Readable.from([file]), { limits: { maxPlainBytes: 4096 } }),
    ).rejects.toThrow(ImportTooLargeError);
    expect(s.hosts()).toEqual([]);
  });

  it('IMP6: phase 2 commits in batches and yields between them: the loop runs while a file goes in', async () => {
    const s = openStore(':memory:', { autoPump: false, chunkMs: 10_000 });
    stores.push(s);
    const file = await recording(300);
    const seen: number[] = [];
    let running = true;
    const count = s.db.prepare(`SELECT count(*) AS n FROM chunks WHERE host = 'h1'`);
    const watch = async () => {
      while (running) {
        seen.push((count.get() as { n: number }).n);
        await new Promise((r) => setImmediate(r));
      }
    };
    const watching = watch();
    await importRecording(s, Readable.from([file]), { batchBudgetMs: 0 });
    running = false;
    await watching;
    const total = (count.get() as { n: number }).n;
    expect(total).toBe(30);
    // Some moment of the import saw part of it committed: the write was not one blocking block.
    expect(seen.some((n) => n > 0 && n < total)).toBe(true);
  });

  it("IMP10: an imported chunk closes at the columns' bound, as the live pump does (a file of wide samples cannot make one huge chunk)", async () => {
    // 20 samples 100 ms apart (one chunk by time), each with 3000 interfaces of its own, every
    // counter moving: past 16 samples the columns would hold 17 × 3000 × 16 values × a 32-sample
    // layout, 26 M > MAX_COLUMN_VALUES.
    const src = openStore(':memory:', { autoPump: false });
    stores.push(src);
    src.appendTopology('h1', T0, makeTopology('h1'));
    const busy = row(Object.fromEntries(IFACE_COUNTERS.map((c) => [c, 3])));
    for (let i = 1; i <= 20; i++) {
      const ifaces: Record<string, number[]> = {};
      for (let k = 0; k < 3000; k++) ifaces[`s${i}-if${k}`] = busy;
      src.append('h1', makeSample(T0 + i * 100, ifaces, { elapsedMs: 100 }));
    }
    src.flush();
    const parts: Buffer[] = [];
    for await (const c of exportStream(src, { hosts: ['h1'], start: T0, end: T0 + 3000, marks: [] }))
      parts.push(c as Buffer);
    const s = openStore(':memory:', { autoPump: false, chunkMs: 10_000 });
    stores.push(s);
    const result = await importRecording(s, Readable.from([Buffer.concat(parts)]), { batchBudgetMs: 0 });
    expect(result.samples).toBe(20);
    const chunks = (s.db.prepare(`SELECT count(*) AS n FROM chunks WHERE host = 'h1'`).get() as { n: number })
      .n;
    expect(chunks).toBeGreaterThan(1);
    expect(s.readRange('h1', T0, T0 + 3000).samples).toHaveLength(20);
  });

  it('IMP7: a failure half-way through phase 2 removes what the earlier batches wrote', async () => {
    const s = openStore(':memory:', { autoPump: false, chunkMs: 10_000 });
    stores.push(s);
    const file = await recording(300);
    let inserts = 0;
    const realPrepare = s.db.prepare.bind(s.db);
    // The 20th chunk insert fails, as a full disk would.
    (s.db as { prepare: typeof s.db.prepare }).prepare = ((sql: string) => {
      const st = realPrepare(sql);
      if (!sql.startsWith('INSERT INTO chunks')) return st;
      const run = st.run.bind(st);
      return Object.assign(st, {
        run: (...args: unknown[]) => {
          inserts += 1;
          if (inserts === 20) throw new Error('SQLITE_FULL: database or disk is full');
          return run(...args);
        },
      });
    }) as typeof s.db.prepare;
    await expect(importRecording(s, Readable.from([file]), { batchBudgetMs: 0 })).rejects.toThrow(
      /disk is full/,
    );
    (s.db as { prepare: typeof s.db.prepare }).prepare = realPrepare;
    expect((s.db.prepare(`SELECT count(*) AS n FROM chunks`).get() as { n: number }).n).toBe(0);
    expect((s.db.prepare(`SELECT count(*) AS n FROM topologies`).get() as { n: number }).n).toBe(0);
  });

  it('IMP8: a named recording over the span cap in a file is refused before anything is written', async () => {
    const s = openStore(':memory:', { autoPump: false });
    stores.push(s);
    const ls = gunzipSync(await recording(10))
      .toString()
      .trimEnd()
      .split('\n');
    const mark = {
      type: 'mark',
      mark: { id: 'all-time', name: 'everything', hosts: null, start: 0, end: T0 },
    };
    const end = JSON.parse(ls.pop()!) as { counts: { mark: number } };
    end.counts.mark = 1;
    const file = gzipSync(
      `${[ls[0], JSON.stringify(mark), ...ls.slice(1), JSON.stringify(end)].join('\n')}\n`,
    );
    await expect(importRecording(s, Readable.from([file]))).rejects.toThrow(/spans more than 7 days/);
    expect(s.hosts()).toEqual([]);
  });

  it('IMP9: an upload that stalls is cut after the idle limit and frees the one import slot', async () => {
    const h = await hub({ importLimits: { idleMs: 300 } });
    const file = await recording(20);
    const stalled = new Readable({ read() {} });
    stalled.push(file.subarray(0, file.length >> 1));
    const first = post(h, stalled).then(
      (a) => a.status,
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 100));
    expect((await post(h, Readable.from([await recording(20, 'h2')]))).status).toBe(429);
    expect(await first).toBe('cut');
    expect((await post(h, Readable.from([await recording(20, 'h2')]))).status).toBe(201);
  });
});
