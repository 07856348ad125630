import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { BlockList } from 'node:net';
import type { Logger, OnceLogger } from '../../log.ts';
import { type AccessToken, accessTokenPathFor, loadOrCreateAccessToken } from './accessToken.ts';
import { FailureLimiter } from './failures.ts';
import { HostPolicy } from './hosts.ts';
import { type Closable, LiveSockets } from './liveSockets.ts';
import {
  type AuthProxyOptions,
  peerTrusted,
  plainAddress,
  proxyRole,
  proxyUser,
  trustedPeers,
} from './proxy.ts';
import { DEFAULT_SESSION_TTL_MS, SessionStore } from './sessions.ts';
import { digest, parseTokensFile, type Principal, type TokenEntry, TokenSet } from './tokens.ts';

export interface AuthOptions {
  /** --insecure-no-auth: every request is an operator. Loud at start and in the app. */
  insecureNoAuth?: boolean;
  /** The operator token itself (tests). Default: read or created at accessTokenFile. */
  accessToken?: string | undefined;
  /** --access-token-file; default `<db>.token` beside the database, in memory for `:memory:`. */
  accessTokenFile?: string | null;
  /** --tokens-file: `ROLE NAME TOKEN` lines; reloaded by reload() (SIGHUP in the CLI). */
  tokensFile?: string | null;
  /** --auth-proxy-header and friends. */
  proxy?: AuthProxyOptions | null;
  /** --public-url: the name browsers reach the hub by (a proxy, DNS), and https → Secure cookies. */
  publicUrl?: string | null;
  sessionTtlMs?: number;
  /** Wrong tokens an address may send per window before it is refused (failures.ts). */
  failureLimit?: { max: number; windowMs: number };
}

/**
 * `hopwatch_session_PORT`: cookies are per host name, not per port, so a hub on 7070 and a
 * replay on 7071 would otherwise sign each other out. On https the name is `__Host-` prefixed
 * (Secure, Path=/, no Domain, enforced by the browser).
 */
export const SESSION_COOKIE = 'hopwatch_session';
const ACCESS_TOKEN_NAME = 'admin';

function bearer(header: string | undefined): string | null {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return m?.[1] ?? null;
}

export function cookieValue(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * Who is asking, for HTTP and WebSocket upgrades alike: a bearer token, a session cookie, or a
 * trusted proxy's header, in that order. Never rejects by itself: the routes decide what needs
 * which role (http/auth/middleware.ts).
 */
export class HubAuth {
  readonly enabled: boolean;
  readonly hosts: HostPolicy;
  readonly sessions: SessionStore;
  readonly failures: FailureLimiter;
  /** Browser sockets, closed when what opened them is signed out, expired or revoked. */
  readonly sockets = new LiveSockets();
  readonly access: AccessToken | null;
  private readonly tokens = new TokenSet([]);
  private readonly accessEntry: TokenEntry | null;
  private readonly tokensFile: string | null;
  private readonly proxy: (AuthProxyOptions & { peers: BlockList }) | null;
  readonly secureCookies: boolean;

  constructor(
    opts: AuthOptions,
    ctx: { db: string; listen: string; allowedOrigins: readonly string[] },
    readonly log: Logger,
    readonly logOnce: OnceLogger,
  ) {
    this.enabled = opts.insecureNoAuth !== true;
    this.hosts = new HostPolicy({
      listen: ctx.listen,
      publicUrl: opts.publicUrl ?? null,
      allowedOrigins: ctx.allowedOrigins,
    });
    this.sessions = new SessionStore(opts.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS);
    this.failures = new FailureLimiter(opts.failureLimit?.max, opts.failureLimit?.windowMs);
    this.secureCookies = opts.publicUrl?.startsWith('https:') ?? false;
    this.proxy = opts.proxy ? { ...opts.proxy, peers: trustedPeers(opts.proxy.trusted) } : null;
    if (!this.enabled) {
      this.access = null;
      this.accessEntry = null;
      this.tokensFile = null;
      return;
    }
    this.access =
      opts.accessToken !== undefined
        ? { token: opts.accessToken, file: null, created: false, warnings: [] }
        : loadOrCreateAccessToken(
            opts.accessTokenFile === undefined ? accessTokenPathFor(ctx.db) : opts.accessTokenFile,
          );
    for (const w of this.access.warnings) log.warn(w);
    this.accessEntry = { role: 'operator', name: ACCESS_TOKEN_NAME, digest: digest(this.access.token) };
    this.tokensFile = opts.tokensFile ?? null;
    // At start a bad tokens file is fatal (thrown): better no hub than the wrong people in it.
    this.tokens.replace([this.accessEntry, ...this.readTokensFile()]);
  }

  private readTokensFile(): TokenEntry[] {
    if (this.tokensFile === null) return [];
    return parseTokensFile(readFileSync(this.tokensFile, 'utf8'), this.tokensFile);
  }

  /**
   * Re-reads --tokens-file (SIGHUP). A file with a bad line keeps the tokens in force and says
   * which lines; sessions of tokens that are gone end now.
   */
  reload(): { ok: boolean; message: string } {
    if (!this.enabled || this.tokensFile === null) return { ok: true, message: 'no --tokens-file to reload' };
    let entries: TokenEntry[];
    try {
      entries = this.readTokensFile();
    } catch (e) {
      const message = `tokens file not reloaded, the old tokens stay in force: ${(e as Error).message}`;
      this.log.error(message);
      return { ok: false, message };
    }
    this.tokens.replace([this.accessEntry!, ...entries]);
    const ended = this.sessions.prune((c) => this.tokens.findDigest(c) !== null);
    this.sockets.sweep();
    const message = `tokens file ${this.tokensFile} reloaded: ${entries.length} token(s)${ended > 0 ? `, ${ended} session(s) of removed tokens ended` : ''}`;
    this.log.info(message);
    return { ok: true, message };
  }

  /** The token a person presents (bearer or the sign-in form) → who they are. */
  tokenPrincipal(token: string): TokenEntry | null {
    return this.tokens.find(token);
  }

  sessionCookieName(req: IncomingMessage): string {
    const name = `${SESSION_COOKIE}_${req.socket.localPort ?? 0}`;
    return this.secureCookies || isTls(req) ? `__Host-${name}` : name;
  }

  /** The request's session id, when it carries one. */
  sessionId(req: IncomingMessage): string | null {
    return cookieValue(req.headers.cookie, this.sessionCookieName(req));
  }

  /**
   * A check of the credential `req` carries, to run again later (LiveSockets): the bearer token
   * still in the token set, or the session still alive and its token too. null when there is
   * nothing to revoke (authentication off, or a proxy, which owns its sessions).
   */
  credentialCheck(req: IncomingMessage): (() => boolean) | null {
    if (!this.enabled) return null;
    const token = bearer(req.headers.authorization);
    if (token !== null) {
      const d = digest(token);
      return () => this.tokens.findDigest(d) !== null;
    }
    const sid = this.sessionId(req);
    if (sid === null) return null;
    return () => {
      const s = this.sessions.get(sid);
      return s !== null && this.tokens.findDigest(s.credential) !== null;
    };
  }

  /** A browser socket that passed checkUiUpgrade: watched until it closes. */
  watchUi(ws: Closable, req: IncomingMessage): void {
    const check = this.credentialCheck(req);
    if (check !== null) this.sockets.add(ws, check);
  }

  stop(): void {
    this.sockets.stop();
  }

  identify(req: IncomingMessage): Principal | null {
    if (!this.enabled) return { name: 'anyone', role: 'operator', via: 'none' };
    const token = bearer(req.headers.authorization);
    if (token !== null) {
      const remote = remoteOf(req);
      if (this.failures.blocked(remote)) return null;
      const e = this.tokens.find(token);
      if (e) return { name: e.name, role: e.role, via: 'bearer' };
      this.failures.fail(remote);
      this.logOnce('warn', `auth:${remote}`, `wrong access token from ${remote}`);
      return null;
    }
    const sid = this.sessionId(req);
    if (sid !== null) {
      const s = this.sessions.get(sid);
      const e = s ? this.tokens.findDigest(s.credential) : null;
      if (e) return { name: e.name, role: e.role, via: 'session' };
    }
    if (this.proxy) {
      const header = req.headers[this.proxy.header.toLowerCase()];
      if (header !== undefined) {
        if (!peerTrusted(this.proxy.peers, req.socket.remoteAddress)) {
          this.logOnce(
            'warn',
            `proxy:${remoteOf(req)}`,
            `${this.proxy.header} from ${remoteOf(req)}, which is not a --trusted-proxy: ignored`,
          );
          return null;
        }
        const name = proxyUser(header);
        if (name === null) return null;
        const roleHeader = this.proxy.roleHeader
          ? req.headers[this.proxy.roleHeader.toLowerCase()]
          : undefined;
        return { name, role: proxyRole(roleHeader, this.proxy.defaultRole ?? 'viewer'), via: 'proxy' };
      }
    }
    return null;
  }
}

export function isTls(req: IncomingMessage): boolean {
  return (req.socket as { encrypted?: boolean }).encrypted === true;
}

export function remoteOf(req: IncomingMessage): string {
  return plainAddress(req.socket.remoteAddress ?? '?');
}
