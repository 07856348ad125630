import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tokenProblem } from './tokens.ts';

/** 32 random bytes, base64url: 43 characters, 256 bits. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Where `hopwatch hub --db FILE` keeps its operator token when no --access-token-file is given. */
export function accessTokenPathFor(db: string): string | null {
  return db === ':memory:' || db === '' ? null : `${db}.token`;
}

export interface AccessToken {
  token: string;
  /** The file it was read from or written to; null when it lives only in memory. */
  file: string | null;
  created: boolean;
  /** Said once at start: a file others can read, for instance. */
  warnings: string[];
}

function readToken(file: string, fd: number): AccessToken {
  const st = fstatSync(fd);
  if (!st.isFile()) throw new Error(`access token file ${file} is not a regular file`);
  if (st.size > 4096) throw new Error(`access token file ${file} is too big to hold a token`);
  const token = readFileSync(fd, 'utf8').trim();
  const bad = tokenProblem(token);
  if (bad !== null) throw new Error(`access token file ${file}: ${bad}`);
  const warnings: string[] = [];
  if ((st.mode & 0o077) !== 0)
    warnings.push(
      `access token file ${file} can be read by other users (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`,
    );
  return { token, file, created: false, warnings };
}

/**
 * The hub's operator token: read from `file`, or created there on first start (mode 0600,
 * O_EXCL so a planted file or link is never written through; O_NOFOLLOW so one is never read
 * through either). `file` null keeps a fresh token in memory (`--db :memory:`).
 */
export function loadOrCreateAccessToken(file: string | null): AccessToken {
  if (file === null) return { token: newToken(), file: null, created: true, warnings: [] };
  try {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      return readToken(file, fd);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = newToken();
  const fd = openSync(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    writeSync(fd, `${token}\n`);
  } finally {
    closeSync(fd);
  }
  return { token, file, created: true, warnings: [] };
}
