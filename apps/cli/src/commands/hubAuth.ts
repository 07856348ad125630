import { hostname } from 'node:os';
import type { Hub, HubOptions } from '@hopwatch/hub';
import type { AuthOptions } from '@hopwatch/hub/http/auth/auth';
import { isRole } from '@hopwatch/hub/http/auth/tokens';
import { UsageError } from '../command.ts';

/** The flags `hub` and `start` share for who may use the hub (apps/hub/README.md, "Authentication"). */
export const AUTH_OPTIONS = {
  'access-token-file': { type: 'string' },
  'tokens-file': { type: 'string' },
  'public-url': { type: 'string' },
  'auth-proxy-header': { type: 'string' },
  'auth-proxy-role-header': { type: 'string' },
  'auth-proxy-default-role': { type: 'string' },
  'trusted-proxy': { type: 'string', multiple: true },
  'insecure-no-auth': { type: 'boolean' },
} as const;

export type AuthValues = {
  'access-token-file'?: string | undefined;
  'tokens-file'?: string | undefined;
  'public-url'?: string | undefined;
  'auth-proxy-header'?: string | undefined;
  'auth-proxy-role-header'?: string | undefined;
  'auth-proxy-default-role'?: string | undefined;
  'trusted-proxy'?: string[] | undefined;
  'insecure-no-auth'?: boolean | undefined;
};

export const AUTH_HELP = `
Who may use it (everything but /healthz and the app's sign-in page needs a credential):
  --access-token-file F  the operator token (default: created beside the database as DB.token,
                       mode 0600; printed at start as a login URL /?token=…)
  --tokens-file F      more tokens, one "ROLE NAME TOKEN" a line (ROLE viewer or operator;
                       # comments); re-read on SIGHUP
  --public-url URL     the URL browsers reach the hub by (a proxy, a DNS name): only that name,
                       this machine's and its addresses are answered (DNS rebinding)
  --auth-proxy-header H  trust user names in header H (e.g. X-Forwarded-User), from
  --trusted-proxy CIDR   these proxy addresses only (repeatable or comma-separated; required)
  --auth-proxy-role-header H   role from header H (viewer|operator) …
  --auth-proxy-default-role R  … else R (default viewer)
  --insecure-no-auth   no authentication at all: anyone who reaches the port is an operator`;

export function authOptionsFrom(command: string, v: AuthValues): AuthOptions {
  const flag = (f: keyof AuthValues) => v[f] !== undefined;
  if (v['insecure-no-auth']) {
    const clash = (['access-token-file', 'tokens-file', 'auth-proxy-header'] as const).filter(flag);
    if (clash.length > 0)
      throw new UsageError(`hopwatch ${command}: --insecure-no-auth turns off what --${clash[0]} configures`);
    return { insecureNoAuth: true, publicUrl: publicUrl(command, v['public-url']) };
  }
  const opts: AuthOptions = { publicUrl: publicUrl(command, v['public-url']) };
  if (v['access-token-file'] !== undefined) opts.accessTokenFile = v['access-token-file'];
  if (v['tokens-file'] !== undefined) opts.tokensFile = v['tokens-file'];
  const header = v['auth-proxy-header'];
  const trusted = (v['trusted-proxy'] ?? []).flatMap((c) => c.split(',')).filter((c) => c.trim() !== '');
  if (header === undefined) {
    const stray = (['trusted-proxy', 'auth-proxy-role-header', 'auth-proxy-default-role'] as const).find(
      flag,
    );
    if (stray) throw new UsageError(`hopwatch ${command}: --${stray} needs --auth-proxy-header`);
    return opts;
  }
  if (trusted.length === 0)
    throw new UsageError(
      `hopwatch ${command}: --auth-proxy-header needs --trusted-proxy CIDR: the header is believed only from the proxy`,
    );
  const role = v['auth-proxy-default-role'] ?? 'viewer';
  if (!isRole(role))
    throw new UsageError(
      `hopwatch ${command}: --auth-proxy-default-role must be viewer or operator, got "${role}"`,
    );
  opts.proxy = {
    header,
    trusted,
    roleHeader: v['auth-proxy-role-header'] ?? null,
    defaultRole: role,
  };
  return opts;
}

function publicUrl(command: string, v: string | undefined): string | null {
  if (v === undefined) return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new UsageError(`hopwatch ${command}: --public-url must be a URL like https://hopwatch.example.org`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UsageError(`hopwatch ${command}: --public-url must be http:// or https://`);
  return u.origin;
}

/**
 * Whether stdout may carry the operator token. A person at a terminal, or anyone starting the
 * hub for the first time, needs the login URL; a service's stdout goes to a journal that others
 * may read, and a token handed over with --access-token-file is already known to whoever set it.
 */
export function printsToken(hub: Hub, opts: HubOptions): boolean {
  const access = hub.auth.access;
  if (access === null || opts.auth?.accessTokenFile !== undefined) return false;
  return process.stdout.isTTY === true || access.created;
}

/** The login URL on stdout (where `npm start` prints it), warnings on stderr. */
export function printAuthBanner(hub: Hub, opts: HubOptions): void {
  const auth = opts.auth ?? {};
  // Bound to every interface: the loopback URL is no use to a colleague's browser.
  const everywhere = opts.listen === '0.0.0.0' || opts.listen === '::';
  const scheme = new URL(hub.url).protocol;
  const base = auth.publicUrl ?? (everywhere ? `${scheme}//${hostname()}:${hub.port}` : hub.url);
  if (auth.insecureNoAuth) {
    const line = '*'.repeat(78);
    console.error(
      [
        line,
        'hopwatch hub: authentication is OFF (--insecure-no-auth).',
        `Anyone who can reach ${base} sees every host's topology and traffic,`,
        'and can create, change and delete recordings. Use it only on a machine of your own.',
        line,
      ].join('\n'),
    );
    return;
  }
  const access = hub.auth.access;
  if (access && printsToken(hub, opts)) {
    const where = access.file === null ? 'in memory only' : `kept in ${access.file}`;
    console.log(
      `hopwatch hub: sign in at ${base}/?token=${encodeURIComponent(access.token)}  (operator token, ${where})`,
    );
  } else if (access) {
    console.log(`hopwatch hub: sign in at ${base}/?token=… with the operator token in ${access.file}`);
  }
  if (auth.tokensFile)
    console.log(`hopwatch hub: more tokens from ${auth.tokensFile} (kill -HUP ${process.pid} re-reads it)`);
  if (auth.proxy)
    console.log(
      `hopwatch hub: users signed in by a proxy at ${auth.proxy.trusted.join(', ')} (${auth.proxy.header}) ` +
        `are ${auth.proxy.roleHeader ? `what ${auth.proxy.roleHeader} says, else ` : ''}${auth.proxy.defaultRole ?? 'viewer'}`,
    );
}

/** SIGHUP re-reads --tokens-file; a bad file keeps the tokens in force (the hub logs which lines). */
export function reloadOnHangup(hub: Hub): void {
  process.on('SIGHUP', () => {
    hub.auth.reload();
  });
}
