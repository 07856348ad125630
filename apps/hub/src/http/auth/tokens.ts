import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Who may do what. viewer: read, watch live, replay, export. operator: also marks (create,
 * rename, delete), import and deletes. There is no third role: the hub has no settings to guard.
 */
export type Role = 'viewer' | 'operator';
export const ROLES: readonly Role[] = ['viewer', 'operator'];

export const isRole = (s: string): s is Role => (ROLES as readonly string[]).includes(s);

/** Whoever a request speaks for, and how that was established. */
export interface Principal {
  name: string;
  role: Role;
  /** bearer: Authorization header; session: the cookie; proxy: a trusted proxy's header; none: auth off. */
  via: 'bearer' | 'session' | 'proxy' | 'none';
}

/** A token must be long enough to be unguessable: 16 characters of base64url is 96 bits. */
export const MIN_TOKEN_LENGTH = 16;
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

export const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

export interface TokenEntry {
  role: Role;
  name: string;
  /** SHA-256 of the token: the token itself is not kept once read. */
  digest: Buffer;
}

export class TokensFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file}: ${problems.join('; ')}`);
  }
}

/** A token's shape: printable, no spaces, long enough. null when fine, else why not. */
export function tokenProblem(token: string): string | null {
  if (!TOKEN_CHARS.test(token)) return 'a token is printable ASCII without spaces';
  if (token.length < MIN_TOKEN_LENGTH) return `a token needs at least ${MIN_TOKEN_LENGTH} characters`;
  return null;
}

/**
 * `--tokens-file`: one `ROLE NAME TOKEN` a line; `#` comments and blank lines are allowed.
 * Every bad line is reported with its number and nothing is taken from a file with one: half a
 * file silently applied would lock out (or let in) the wrong people.
 */
export function parseTokensFile(text: string, file = 'tokens file'): TokenEntry[] {
  const entries: TokenEntry[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const at = `line ${i + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length !== 3) {
      problems.push(`${at}: expected "ROLE NAME TOKEN", got ${fields.length} field(s)`);
      return;
    }
    const [role, name, token] = fields as [string, string, string];
    if (!isRole(role)) {
      problems.push(`${at}: role must be ${ROLES.join(' or ')}, got "${role.slice(0, 20)}"`);
      return;
    }
    if (!/^[\w.@-]{1,64}$/.test(name)) {
      problems.push(`${at}: name must be 1-64 letters, digits or . _ @ -`);
      return;
    }
    const bad = tokenProblem(token);
    if (bad !== null) {
      problems.push(`${at}: ${bad}`);
      return;
    }
    const d = digest(token);
    const key = d.toString('hex');
    if (seen.has(key)) {
      problems.push(`${at}: the same token appears twice`);
      return;
    }
    seen.add(key);
    entries.push({ role, name, digest: d });
  });
  if (problems.length > 0) throw new TokensFileError(file, problems);
  return entries;
}

/**
 * The tokens the hub accepts. `find` compares against every entry in constant time per entry
 * (SHA-256 of both sides, timingSafeEqual) and never stops early, so neither which token matched
 * nor how much of it leaks through timing.
 */
export class TokenSet {
  constructor(private entries: readonly TokenEntry[]) {}

  get size(): number {
    return this.entries.length;
  }

  replace(entries: readonly TokenEntry[]): void {
    this.entries = entries;
  }

  find(token: string): TokenEntry | null {
    return this.findDigest(digest(token));
  }

  findDigest(d: Buffer): TokenEntry | null {
    let hit: TokenEntry | null = null;
    for (const e of this.entries) if (timingSafeEqual(e.digest, d) && hit === null) hit = e;
    return hit;
  }
}
