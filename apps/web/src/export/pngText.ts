/**
 * A PNG with text chunks (tEXt) added after its header: the exported picture carries the path,
 * the link and the time in words, for the ticket and for tests to read back. Pure bytes in,
 * bytes out; no dependency (CRC-32 is twenty lines).
 */

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

let table: Uint32Array | null = null;
function crc32(bytes: Uint8Array): number {
  if (table === null) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = table[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function isPng(bytes: Uint8Array): boolean {
  return SIGNATURE.every((b, i) => bytes[i] === b);
}

/** Width and height from the IHDR chunk. */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: v.getUint32(16), height: v.getUint32(20) };
}

/** Latin-1 only in tEXt (the PNG spec): anything else becomes '?'. */
const latin1 = (s: string) => Uint8Array.from(s, (ch) => (ch.charCodeAt(0) < 256 ? ch.charCodeAt(0) : 63));

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, data.length);
  out.set(latin1(type), 4);
  out.set(data, 8);
  v.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function withText(png: Uint8Array, entries: Readonly<Record<string, string>>): Uint8Array {
  if (!isPng(png)) throw new Error('not a PNG');
  const ihdrEnd = 8 + 12 + new DataView(png.buffer, png.byteOffset).getUint32(8);
  const chunks = Object.entries(entries).map(([k, v]) => {
    const key = latin1(k);
    const val = latin1(v);
    const data = new Uint8Array(key.length + 1 + val.length);
    data.set(key, 0);
    data.set(val, key.length + 1);
    return chunk('tEXt', data);
  });
  const size = chunks.reduce((n, c) => n + c.length, png.length);
  const out = new Uint8Array(size);
  out.set(png.subarray(0, ihdrEnd), 0);
  let at = ihdrEnd;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  out.set(png.subarray(ihdrEnd), at);
  return out;
}

/** The tEXt entries of a PNG (what withText wrote). */
export function readText(png: Uint8Array): Record<string, string> {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Record<string, string> = {};
  for (let at = 8; at + 12 <= png.length; ) {
    const len = v.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    if (type === 'tEXt') {
      const data = png.subarray(at + 8, at + 8 + len);
      const nul = data.indexOf(0);
      out[String.fromCharCode(...data.subarray(0, nul))] = Array.from(data.subarray(nul + 1), (b) =>
        String.fromCharCode(b),
      ).join('');
    }
    at += 12 + len;
  }
  return out;
}
