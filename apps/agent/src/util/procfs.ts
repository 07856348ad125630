import { closeSync, constants, fstatSync, openSync, readvSync, statSync } from 'node:fs';

/**
 * Synchronous reads of small kernel files into one reused buffer. procfs answers from memory in
 * microseconds; the async fs API would cost four thread-pool round trips per file, and a sample
 * reads three files per namespace. latin1 decoding: these files are ASCII.
 *
 * The agent runs as root and some of what it reads sits where an unprivileged user has a say
 * (their namespaces, their processes), so every open is defensive (SPEC SEC1):
 * - O_NOFOLLOW: a symlink as the last component is refused (ELOOP), never followed to a secret;
 * - O_NONBLOCK: a FIFO opens at once instead of waiting for a writer (it is then refused);
 * - fstat on the open descriptor: only regular files, on the expected file system (under /proc
 *   the procfs device; callers reading another mount pass its device);
 * - at most `maxBytes` are read: a larger file (or /dev/zero) is refused, not buffered.
 * Node opens every descriptor with O_CLOEXEC already (libuv), so helpers never inherit one.
 * A refusal is logged through `setRefusalLog` (rate-limited by the caller's log), and the read
 * fails: readTextOrNull returns null, as for a file that does not exist.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Default read cap: every small file the agent reads (sysctls, rps_cpus, comm, stats) is far below. */
export const MAX_FILE_BYTES = 64 * 1024;

let buffer = Buffer.allocUnsafe(256 * 1024);

/** A file the agent refused to read (not a plain "does not exist"): worth a log line. */
export class RefusedFile extends Error {
  constructor(
    readonly path: string,
    why: string,
    /** The file is bigger than the cap (the others: link, not a regular file, wrong device). */
    readonly tooLarge = false,
  ) {
    super(`refused to read ${path}: ${why}`);
  }
}

type RefusalLog = (msg: string) => void;
let refusalLog: RefusalLog = (msg) => process.stderr.write(`hopwatch agent: warn: ${msg}\n`);
const lastRefusal = new Map<string, number>();
const REFUSAL_QUIET_MS = 60_000;

/** Where refusals are reported (the collector's rate-limited log); each path at most once a minute. */
export function setRefusalLog(log: RefusalLog): void {
  refusalLog = log;
}

export function reportRefusal(e: RefusedFile): void {
  const now = Date.now();
  const seen = lastRefusal.get(e.path);
  if (seen !== undefined && now - seen < REFUSAL_QUIET_MS) return;
  if (lastRefusal.size > 1000) lastRefusal.clear();
  lastRefusal.set(e.path, now);
  refusalLog(e.message);
}

let procDev: number | null | undefined;
/** st_dev of /proc, the only procfs the agent reads (fixture trees are elsewhere and unchecked). */
function procfsDev(): number | null {
  if (procDev === undefined) {
    try {
      procDev = statSync('/proc').dev;
    } catch {
      procDev = null;
    }
  }
  return procDev;
}

/**
 * The device a file must be on: `dev` when the caller names one, else procfs for a path under
 * /proc that does not cross into another root (`/proc/PID/root/...` is another process's tree:
 * its caller must pass the device of the mount it expects).
 */
function expectedDev(path: string, dev: number | undefined): number | null {
  if (dev !== undefined) return dev;
  if (path.startsWith('/proc/') && !/^\/proc\/[^/]+\/root\//.test(path)) return procfsDev();
  return null;
}

/**
 * Open a kernel file for reading, defensively (see above). Throws RefusedFile for a symlink, a
 * non-regular file or one on the wrong device; ENOENT and friends as they come.
 */
export function openKernelFile(path: string, dev?: number): number {
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw new RefusedFile(path, 'it is a symbolic link');
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new RefusedFile(path, 'not a regular file');
    const want = expectedDev(path, dev);
    if (want !== null && st.dev !== want)
      throw new RefusedFile(path, 'not on the expected kernel file system');
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

export function readText(path: string, maxBytes = MAX_FILE_BYTES, dev?: number): string {
  return readBytes(path, maxBytes, dev).toString('latin1');
}

/** The file's bytes in the shared read buffer: valid until the next read. */
export function readBytes(path: string, maxBytes = MAX_FILE_BYTES, dev?: number): Buffer {
  const fd = openKernelFile(path, dev);
  try {
    return readAll(fd, null, maxBytes, path);
  } finally {
    closeSync(fd);
  }
}

/**
 * Read to the end into the shared buffer (from offset 0 when `at0`, else from the file position).
 * A read that returns less than asked is not the end: seq_file hands out about a page per call
 * (measured: the host's 15 KB /proc/net/dev came in pieces), so read until 0 — but never past
 * `maxBytes`: one byte more than that and the file is refused.
 */
function readAll(fd: number, at0: 0 | null, maxBytes: number, path: string, wholeBelow = 0): Buffer {
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
      spans.clear();
      heads.clear();
    }
    const want = Math.min(buffer.length - length, maxBytes + 1 - length);
    const n = readvSync(fd, spanOf(length, want), at0 === null ? undefined : length);
    if (n === 0) break;
    length += n;
    if (length > maxBytes) throw new RefusedFile(path, `larger than ${maxBytes} bytes`, true);
    // The caller knows the file cannot stop short below this size: that was all of it.
    if (length < wholeBelow && n < want) break;
  }
  return headOf(length);
}

/**
 * The shared buffer's first `length` bytes, as a view kept by length: a read hands one back
 * instead of making a Buffer each time (a class over Uint8Array: ~120 bytes and a constructor
 * call without the optimising compiler, ~230 times a second). A kind of file mostly reads the
 * same length from one sample to the next, so they are few; bounded all the same.
 */
const heads = new Map<number, Buffer>();
const MAX_HEADS = 256;

function headOf(length: number): Buffer {
  let head = heads.get(length);
  if (head === undefined) {
    if (heads.size >= MAX_HEADS) heads.clear();
    head = buffer.subarray(0, length);
    heads.set(length, head);
  }
  return head;
}

/**
 * The one-view list readvSync reads `want` bytes at `at` of the shared buffer into. readvSync,
 * not readSync: node's readSync checks its five arguments through wrappers that each make an
 * array (~500 bytes a call, without the optimising compiler the unit runs with), readvSync two
 * (~200), and this runs ~200 times a second. A first read (at 0) asks for a file kind's cap, so
 * those lists are few and kept; a continuation's is made once.
 */
const spans = new Map<number, Uint8Array[]>();
const MAX_SPANS = 64;

function spanOf(at: number, want: number): Uint8Array[] {
  if (at !== 0) return [new Uint8Array(buffer.buffer, buffer.byteOffset + at, want)];
  let span = spans.get(want);
  if (span === undefined) {
    if (spans.size >= MAX_SPANS) spans.clear();
    span = [new Uint8Array(buffer.buffer, buffer.byteOffset, want)];
    spans.set(want, span);
  }
  return span;
}

/**
 * A seq_file (/proc/net/*) read stops short of the end only when its buffer (at least a page,
 * 4096 bytes) cannot take the next record: so a read of a file whose records are at most
 * `maxRecord` bytes that returns less than asked, with fewer than 4096 - maxRecord bytes in all,
 * reached the end (fs/seq_file.c, seq_read_iter).
 */
export function seqWholeBelow(maxRecord: number): number {
  return 4096 - maxRecord;
}

/**
 * Files the kernel produces whole for every read at offset 0, of any size: single_open seq_files
 * (/proc/net/snmp, /proc/net/netstat, /proc/stat: one `show` into a buffer grown until it fits,
 * all of it copied when the reader's buffer is larger), sysfs attributes (rps_cpus: one
 * `show` of at most a page), sysctls (proc_sys_call_handler formats the value once) and tracefs
 * `per_cpu/cpuN/stats` (simple_read_from_buffer). A read of these that returns less than asked
 * is all of it: no second read to see the end (SPEC READ1).
 */
export const WHOLE_ON_SHORT_READ = Number.POSITIVE_INFINITY;

/**
 * readText, or null when the file does not exist, cannot be read or was refused (a refusal is
 * logged once; the caller says why a missing value matters).
 */
export function readTextOrNull(path: string, maxBytes = MAX_FILE_BYTES, dev?: number): string | null {
  try {
    return readText(path, maxBytes, dev);
  } catch (e) {
    if (e instanceof RefusedFile) reportRefusal(e);
    return null;
  }
}

/** `net:[4026531840]` → 4026531840; null for anything else. */
export function nsInodeFromLink(link: string): number | null {
  const m = /^net:\[(\d{1,20})\]$/.exec(link);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Kernel files read every sample, through file descriptors kept open and read again from offset
 * 0 (seq_file and sysctl files regenerate their content on a read at 0). Measured for 50
 * namespaces: /proc/PID/net/dev open+read+close 0.84 ms, pread on a kept descriptor 0.23 ms.
 * Opened like any other kernel file (openKernelFile); each read capped.
 *
 * A descriptor on /proc/PID/net/* holds a reference on that network namespace, so the owner must
 * `closeUnder` a namespace's files as soon as the namespace goes, like it kills its holder. For
 * the same reason a kept descriptor cannot change namespace under us: it reads the namespace it
 * was opened in even if PID is reused; `onOpen` lets the owner check that namespace once.
 */
export class OpenFiles {
  private readonly fds = new Map<string, number>();

  /** `dev`: the device the file must be on (openKernelFile), when it cannot be told from the path. */
  read(path: string, maxBytes = MAX_FILE_BYTES, dev?: number, wholeBelow = 0): string {
    const bytes = this.readBytes(path, maxBytes, undefined, dev, wholeBelow);
    return bytes.toString('latin1');
  }

  /**
   * The file's bytes in the shared read buffer: valid until the next read, copy what you keep.
   * `onOpen` runs once right after a new descriptor is opened; if it throws, the descriptor is
   * closed and the read fails. `wholeBelow`: a read that returns less than asked and leaves the
   * total below this many bytes was the whole file (no second read to see the end: half the
   * syscalls of a small file); only for files whose reads cannot stop short below it (seqWholeBelow).
   */
  readBytes(
    path: string,
    maxBytes = MAX_FILE_BYTES,
    onOpen?: () => void,
    dev?: number,
    wholeBelow = 0,
  ): Buffer {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      fd = openKernelFile(path, dev);
      this.fds.set(path, fd);
      try {
        onOpen?.();
      } catch (e) {
        this.close(path);
        throw e;
      }
    }
    try {
      return readAll(fd, 0, maxBytes, path, wholeBelow);
    } catch (e) {
      this.close(path);
      throw e;
    }
  }

  /** read, or null when the file cannot be read (a refusal is reported). */
  readOrNull(path: string, maxBytes = MAX_FILE_BYTES, dev?: number, wholeBelow = 0): string | null {
    try {
      return this.read(path, maxBytes, dev, wholeBelow);
    } catch (e) {
      if (e instanceof RefusedFile) reportRefusal(e);
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

  /** Whether `path` has a descriptor kept open. */
  has(path: string): boolean {
    return this.fds.has(path);
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
