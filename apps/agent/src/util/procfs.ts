import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Synchronous reads of small kernel files into one reused buffer. procfs answers from memory in
 * microseconds; the async fs API would cost four thread-pool round trips per file, and a sample
 * reads three files per namespace. latin1 decoding: these files are ASCII.
 */
let buffer = Buffer.allocUnsafe(256 * 1024);

export function readText(path: string): string {
  const fd = openSync(path, 'r');
  try {
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return buffer.toString('latin1', 0, length);
  } finally {
    closeSync(fd);
  }
}

/** readText, or null when the file does not exist or cannot be read (the caller says why it matters). */
export function readTextOrNull(path: string): string | null {
  try {
    return readText(path);
  } catch {
    return null;
  }
}

/** `net:[4026531840]` → 4026531840; null for anything else. */
export function nsInodeFromLink(link: string): number | null {
  const m = /^net:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}
