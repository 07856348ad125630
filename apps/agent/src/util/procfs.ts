import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Synchronous reads of small kernel files into one reused buffer. procfs answers from memory in
 * microseconds; the async fs API would cost four thread-pool round trips per file, and a sample
 * reads three files per namespace. latin1 decoding: these files are ASCII.
 */
let buffer = Buffer.allocUnsafe(256 * 1024);

export function readText(path: string): string {
  return readBytes(path).toString('latin1');
}

/** The file's bytes in the shared read buffer: valid until the next read. */
export function readBytes(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    return readAll(fd, null);
  } finally {
    closeSync(fd);
  }
}

/**
 * Read to the end into the shared buffer (from offset 0 when `at0`, else from the file position).
 * A read that returns less than asked is not the end: seq_file hands out about a page per call
 * (measured: the host's 15 KB /proc/net/dev came in pieces), so read until 0.
 */
function readAll(fd: number, at0: 0 | null): Buffer {
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    const n = readSync(fd, buffer, length, buffer.length - length, at0 === null ? null : length);
    if (n === 0) break;
    length += n;
  }
  return buffer.subarray(0, length);
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

/**
 * Kernel files read every sample, through file descriptors kept open and read again from offset
 * 0 (seq_file and sysctl files regenerate their content on a read at 0). Measured for 50
 * namespaces: /proc/PID/net/dev open+read+close 0.84 ms, pread on a kept descriptor 0.23 ms.
 *
 * A descriptor on /proc/PID/net/* holds a reference on that network namespace, so the owner must
 * `closeUnder` a namespace's files as soon as the namespace goes, like it kills its holder.
 */
export class OpenFiles {
  private readonly fds = new Map<string, number>();

  read(path: string): string {
    const bytes = this.readBytes(path);
    return bytes.toString('latin1');
  }

  /** The file's bytes in the shared read buffer: valid until the next read, copy what you keep. */
  readBytes(path: string): Buffer {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      fd = openSync(path, 'r');
      this.fds.set(path, fd);
    }
    try {
      return readAll(fd, 0);
    } catch (e) {
      this.close(path);
      throw e;
    }
  }

  readOrNull(path: string): string | null {
    try {
      return this.read(path);
    } catch {
      return null;
    }
  }

  close(path: string): void {
    const fd = this.fds.get(path);
    if (fd === undefined) return;
    this.fds.delete(path);
    try {
      closeSync(fd);
    } catch {}
  }

  /** Close every kept file whose path starts with `prefix` (e.g. `/proc/1234/`). */
  closeUnder(prefix: string): void {
    for (const path of [...this.fds.keys()]) if (path.startsWith(prefix)) this.close(path);
  }

  closeAll(): void {
    this.closeUnder('');
  }

  get size(): number {
    return this.fds.size;
  }
}
