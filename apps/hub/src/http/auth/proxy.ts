import { BlockList, isIP } from 'node:net';
import { isRole, type Role } from './tokens.ts';

/**
 * Single sign-on through an authenticating reverse proxy (oauth2-proxy, Keycloak gatekeeper,
 * Grafana's auth.proxy convention): the proxy signs the user in and passes the user name in a
 * header. The header is believed only from the proxy's own addresses (`trusted`): anyone else
 * could send it too.
 */
export interface AuthProxyOptions {
  /** The user-name header, e.g. X-Forwarded-User. */
  header: string;
  /** CIDRs (or single addresses) of the proxies; required: no header is trusted from anywhere. */
  trusted: readonly string[];
  /** A header carrying `viewer` or `operator` (e.g. X-Forwarded-Role); absent or other: defaultRole. */
  roleHeader?: string | null;
  /** Role of a proxied user without a (valid) role header. Default viewer: least privilege. */
  defaultRole?: Role;
}

export class ProxyConfigError extends Error {}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) as 10.0.0.1. */
export function plainAddress(addr: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(addr);
  return m ? m[1]! : addr;
}

export function trustedPeers(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const raw of cidrs) {
    const c = raw.trim();
    if (c === '') continue;
    const [addr, bitsRaw] = c.split('/') as [string, string | undefined];
    const family = isIP(addr);
    if (family === 0) throw new ProxyConfigError(`--trusted-proxy: "${c}" is not an address or CIDR`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bitsRaw === undefined) {
      list.addAddress(addr, type);
      continue;
    }
    const bits = Number(bitsRaw);
    if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128))
      throw new ProxyConfigError(`--trusted-proxy: bad prefix length in "${c}"`);
    list.addSubnet(addr, bits, type);
  }
  return list;
}

export function peerTrusted(list: BlockList, remote: string | undefined): boolean {
  if (remote === undefined) return false;
  const addr = plainAddress(remote);
  const family = isIP(addr);
  if (family === 0) return false;
  return list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}

/** A user name from a header, as the hub will show and log it: printable, bounded. */
export function proxyUser(value: string | string[] | undefined): string | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return null;
  const name = v.trim();
  if (name === '' || name.length > 256 || !/^[\x20-\x7e\u00a0-\uffff]+$/.test(name)) return null;
  return name;
}

export function proxyRole(value: string | string[] | undefined, fallback: Role): Role {
  const v = (Array.isArray(value) ? value[0] : value)?.trim().toLowerCase();
  return v !== undefined && isRole(v) ? v : fallback;
}
