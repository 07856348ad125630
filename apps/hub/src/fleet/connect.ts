import { readFileSync } from 'node:fs';
import {
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
} from '@nats-io/transport-node';

/** How a hub replica reaches NATS: `hopwatch hub --nats URL[,URL…]` and the client's usual options. */
export interface NatsOptions {
  servers: string[];
  /** A `.creds` file (JWT + nkey seed), as `nats --creds` takes it. */
  credsFile?: string;
  user?: string;
  pass?: string;
  token?: string;
  /** PEM CA that signed the servers' certificates (else the system's). */
  tlsCa?: string;
  /** Client certificate and key, for servers that verify clients (mutual TLS). */
  tlsCert?: string;
  tlsKey?: string;
  /** Stream and bucket replicas; default min(3, servers in the cluster). */
  replicas?: number;
  /** Prefix of every subject, stream and bucket name: several hopwatch fleets on one NATS. */
  prefix?: string;
}

/** The version a feature needs, compared as numbers (2.9.10 < 2.11.0). */
export function atLeast(version: string, want: string): boolean {
  const a = version.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const b = want.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/**
 * Connects with reconnects forever (a replica outlives a NATS node's restart; the client buffers
 * what it publishes meanwhile), and says in words what failed when the first connect does.
 */
export async function connectNats(opts: NatsOptions, name: string): Promise<NatsConnection> {
  const co: ConnectionOptions = {
    servers: opts.servers,
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // Fail over to another node fast: a killed leader should cost seconds, not a minute.
    pingInterval: 2_000,
    maxPingOut: 2,
    // Without it every request (each chunk publish, KV put and summary write) captures a stack
    // trace for its error in advance (RequestError, TimeoutError): ~2.5 % of a replica's CPU at
    // 160 agents (issue 12's profile). A failed request still says what failed, in its message.
    noAsyncTraces: true,
  };
  if (opts.credsFile) co.authenticator = credsAuthenticator(readFileSync(opts.credsFile));
  if (opts.user !== undefined) co.user = opts.user;
  if (opts.pass !== undefined) co.pass = opts.pass;
  if (opts.token !== undefined) co.token = opts.token;
  if (opts.tlsCa || opts.tlsCert) {
    co.tls = {
      ...(opts.tlsCa ? { caFile: opts.tlsCa } : {}),
      ...(opts.tlsCert ? { certFile: opts.tlsCert } : {}),
      ...(opts.tlsKey ? { keyFile: opts.tlsKey } : {}),
    };
  }
  try {
    return await connect(co);
  } catch (e) {
    throw new Error(`cannot reach NATS at ${opts.servers.join(', ')} (--nats): ${(e as Error).message}`);
  }
}

/** Replicas for streams and buckets: R3 in a cluster of three or more, R1 on a single server. */
export function replicasFor(nc: NatsConnection, opts: NatsOptions): number {
  if (opts.replicas !== undefined) return opts.replicas;
  const known = new Set([...(nc.info?.connect_urls ?? []), ...opts.servers]);
  return nc.info?.cluster && known.size >= 3 ? 3 : 1;
}

/**
 * A host name as one subject token: NATS splits subjects at `.` and gives `*`, `>` and spaces
 * meaning, and host names are FQDNs. Letters, digits, `-` and `_` stay; anything else is `=HH`
 * (its UTF-8 bytes), which is also a valid KV key (the host-list and lease buckets key by it).
 */
export function subjectToken(host: string): string {
  return Buffer.from(host, 'utf8')
    .toString('latin1')
    .replace(/[^A-Za-z0-9_-]/g, (c) => `=${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function hostOfToken(token: string): string {
  return Buffer.from(
    token.replace(/=([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
    'latin1',
  ).toString('utf8');
}

/** Subjects, streams and buckets of one fleet (all under opts.prefix, default "hopwatch"). */
export function fleetNames(prefix = 'hopwatch') {
  const p = prefix;
  const P = p.toUpperCase().replace(/[^A-Z0-9_-]/g, '_');
  return {
    chunkStream: `${P}_CHUNKS`,
    chunkSubject: (host: string) => `${p}.chunk.${subjectToken(host)}`,
    chunkWildcard: `${p}.chunk.*`,
    topoStream: `${P}_TOPOLOGIES`,
    topoSubject: (host: string) => `${p}.topo.${subjectToken(host)}`,
    topoWildcard: `${p}.topo.*`,
    summaryStream: `${P}_SUMMARIES`,
    summarySubject: (host: string, hour: number) => `${p}.sum.${subjectToken(host)}.${hour}`,
    summaryWildcard: `${p}.sum.*.*`,
    live: (host: string) => `${p}.live.${subjectToken(host)}`,
    watch: (host: string) => `${p}.watch.${subjectToken(host)}`,
    watchWildcard: `${p}.watch.*`,
    statusBucket: `${P}_hosts`,
    leaseBucket: `${P}_leases`,
    marksBucket: `${P}_marks`,
  };
}
export type FleetNames = ReturnType<typeof fleetNames>;
