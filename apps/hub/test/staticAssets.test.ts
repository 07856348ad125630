import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webApp } from '../src/http/static.ts';

/** A response as the wire has it: no client-side decompression (fetch would undo the encoding). */
function raw(
  url: string,
  acceptEncoding: string | null,
): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> =
      acceptEncoding === null ? {} : { 'accept-encoding': acceptEncoding };
    get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('the web build as the hub serves it (http/static.ts)', () => {
  const js = Buffer.from(`console.log(${JSON.stringify('hopwatch '.repeat(400))});`);
  let base: string;
  let dist: string;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'hopwatch-static-'));
    // The build itself under a folder named assets: only dist/assets is hashed, not the page.
    dist = join(base, 'assets', 'web');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>hopwatch</title>');
    writeFileSync(join(dist, 'assets', 'app-1a2b.js'), js);
    writeFileSync(join(dist, 'assets', 'app-1a2b.js.br'), brotliCompressSync(js));
    writeFileSync(join(dist, 'assets', 'app-1a2b.js.gz'), gzipSync(js));
    writeFileSync(join(dist, 'assets', 'plain-3c4d.css'), 'body{}');
    const app = express();
    app.use(webApp(dist));
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    rmSync(base, { recursive: true, force: true });
  });

  it('WEB1: a script goes as its brotli or gzip twin when the browser takes it, typed as the script', async () => {
    const br = await raw(`${url}/assets/app-1a2b.js`, 'gzip, deflate, br');
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toContain('javascript');
    expect(br.headers.vary).toContain('Accept-Encoding');
    expect(brotliDecompressSync(br.body)).toEqual(js);
    const gz = await raw(`${url}/assets/app-1a2b.js`, 'gzip');
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body)).toEqual(js);
    // Refused encodings (q=0) and none at all: the script itself.
    for (const accept of ['br;q=0, gzip;q=0', null]) {
      const plain = await raw(`${url}/assets/app-1a2b.js`, accept);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.body).toEqual(js);
    }
  });

  it('WEB1: hashed assets are kept for good; without a twin, as they are; the page itself is not', async () => {
    for (const accept of ['br', null]) {
      const a = await raw(`${url}/assets/app-1a2b.js`, accept);
      expect(a.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    const css = await raw(`${url}/assets/plain-3c4d.css`, 'br');
    expect(css.headers['content-encoding']).toBeUndefined();
    expect(css.headers['content-type']).toContain('text/css');
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const page = await raw(`${url}/?host=h1`, 'br');
    expect(page.headers['cache-control']).not.toContain('immutable');
    expect(page.body.toString()).toContain('<title>hopwatch</title>');
    // No way out of assets/ through a twin's name.
    expect((await raw(`${url}/assets/..%2findex.html`, 'br')).headers['content-encoding']).toBeUndefined();
    expect((await raw(`${url}/assets/missing.js`, 'br')).body.toString()).toContain(
      '<title>hopwatch</title>',
    );
  });
});
