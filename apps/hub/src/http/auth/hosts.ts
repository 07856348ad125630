import { isIP } from 'node:net';
import { hostname } from 'node:os';

/**
 * DNS rebinding: a page on evil.example re-resolves its own name to 127.0.0.1 and, being
 * same-origin with itself, reads whatever answers there. The browser still sends
 * `Host: evil.example`, so the hub answers only to the names it is really reached by.
 */
export interface HostPolicyOptions {
  /** The address the hub listens on (--listen). */
  listen: string;
  /** --public-url: the name a proxy or DNS gives the hub. */
  publicUrl?: string | null;
  /** --allow-origin: other web origins that may open /ws/ui (a dev server, a dashboard). */
  allowedOrigins?: readonly string[];
}

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.', 'ip6-localhost']);
const WILDCARD = new Set(['0.0.0.0', '::', '']);

function isLoopbackAddress(addr: string): boolean {
  return addr === '::1' || addr.startsWith('127.') || LOOPBACK_NAMES.has(addr);
}

/** The host name of a Host header or URL authority, lower case, without port or brackets. */
export function hostnameOf(authority: string): string | null {
  try {
    const h = new URL(`http://${authority}`).hostname.toLowerCase();
    return h.startsWith('[') ? h.slice(1, -1) : h;
  } catch {
    return null;
  }
}

export class HostPolicy {
  private readonly names = new Set<string>();
  private readonly origins: Set<string>;

  constructor(opts: HostPolicyOptions) {
    const listen = opts.listen.toLowerCase();
    const wildcard = WILDCARD.has(listen);
    // Loopback names resolve to this machine in every browser (Chrome pins *.localhost): no
    // attacker can serve a page from them, so they are safe whenever loopback can reach the hub.
    if (wildcard || isLoopbackAddress(listen)) for (const n of LOOPBACK_NAMES) this.names.add(n);
    if (!isIP(listen) && !wildcard) this.names.add(listen);
    if (wildcard || !isLoopbackAddress(listen)) {
      const own = hostname().toLowerCase();
      this.names.add(own);
      this.names.add(own.split('.')[0]!);
    }
    if (opts.publicUrl) {
      const h = new URL(opts.publicUrl).hostname.toLowerCase();
      this.names.add(h.startsWith('[') ? h.slice(1, -1) : h);
    }
    this.origins = new Set((opts.allowedOrigins ?? []).map((o) => o.replace(/\/+$/, '')));
  }

  /**
   * An IP literal cannot be rebound (the page's origin would be that address itself), so every
   * address is fine; names must be the hub's own.
   */
  hostAllowed(hostHeader: string | undefined): boolean {
    if (hostHeader === undefined) return false;
    const h = hostnameOf(hostHeader);
    if (h === null || h === '') return false;
    if (isIP(h) !== 0) return true;
    return this.names.has(h) || (h.endsWith('.localhost') && this.names.has('localhost'));
  }

  /**
   * A browser's Origin: the page the hub itself served (its host and port equal to the request's
   * checked Host) or one named by --allow-origin. A loopback dev server on another port is not
   * the hub's origin: any local program could serve a page there.
   */
  originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
    if (origin === undefined) return true;
    if (this.origins.has(origin)) return true;
    if (!this.hostAllowed(hostHeader)) return false;
    try {
      const u = new URL(origin);
      return (u.protocol === 'http:' || u.protocol === 'https:') && u.host === hostHeader?.toLowerCase();
    } catch {
      return false;
    }
  }

  describe(): string {
    return [...this.names].sort().join(', ');
  }
}
