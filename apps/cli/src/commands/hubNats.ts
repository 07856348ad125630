import { readFileSync } from 'node:fs';
import type { HubOptions } from '@hopwatch/hub';
import { intOption, UsageError } from '../command.ts';

/** `hopwatch hub --nats …`: one stateless replica of a fleet (docs/fleet.md). */
export const NATS_OPTIONS = {
  nats: { type: 'string' },
  'nats-creds': { type: 'string' },
  'nats-user': { type: 'string' },
  'nats-password-file': { type: 'string' },
  'nats-tls-ca': { type: 'string' },
  'nats-tls-cert': { type: 'string' },
  'nats-tls-key': { type: 'string' },
  'nats-replicas': { type: 'string' },
  'nats-prefix': { type: 'string' },
  'replica-name': { type: 'string' },
} as const;

export type NatsValues = { [K in keyof typeof NATS_OPTIONS]?: string | undefined };

export const NATS_HELP = `  --nats URL[,URL…]     be one replica of a fleet: recording, live fan-out and host registry on
                       this NATS JetStream cluster instead of --db (docs/fleet.md); run a current
                       upstream nats-server in production
  --nats-creds F       NATS credentials file (JWT + nkey seed)
  --nats-user U        NATS user, with --nats-password-file F (its first line)
  --nats-tls-ca F      CA of the NATS servers' certificates (tls:// URLs); --nats-tls-cert F and
                       --nats-tls-key F for servers that verify clients
  --nats-replicas N    stream and bucket replicas (default 3 in a cluster of 3+, else 1)
  --nats-prefix P      subjects, streams and buckets under P (default hopwatch; fleets side by side)
  --replica-name N     this replica's name in leases and host statuses (default HOSTNAME:PID)`;

/** The NATS part of HubOptions, or undefined without --nats. */
export function natsOptionsFrom(v: NatsValues): HubOptions['nats'] {
  const others = Object.entries(v).filter(([k, val]) => k.startsWith('nats-') && val !== undefined);
  if (v.nats === undefined) {
    if (others.length > 0) throw new UsageError(`hopwatch hub: --${others[0]![0]} needs --nats URL`);
    return undefined;
  }
  const servers = v.nats
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (servers.length === 0)
    throw new UsageError('hopwatch hub: --nats needs at least one URL (nats://HOST:4222)');
  const out: NonNullable<HubOptions['nats']> = { servers };
  if (v['nats-creds'] !== undefined) out.credsFile = v['nats-creds'];
  if (v['nats-user'] !== undefined) out.user = v['nats-user'];
  if (v['nats-password-file'] !== undefined) {
    out.pass = readFileSync(v['nats-password-file'], 'utf8').split('\n')[0]!.trim();
  }
  if ((v['nats-tls-cert'] === undefined) !== (v['nats-tls-key'] === undefined))
    throw new UsageError('hopwatch hub: --nats-tls-cert and --nats-tls-key go together');
  if (v['nats-tls-ca'] !== undefined) out.tlsCa = v['nats-tls-ca'];
  if (v['nats-tls-cert'] !== undefined) out.tlsCert = v['nats-tls-cert'];
  if (v['nats-tls-key'] !== undefined) out.tlsKey = v['nats-tls-key'];
  const replicas = intOption('hub', 'nats-replicas', v['nats-replicas'], 1, 5);
  if (replicas !== undefined) out.replicas = replicas;
  if (v['nats-prefix'] !== undefined) {
    if (!/^[a-z][a-z0-9_-]*$/i.test(v['nats-prefix']))
      throw new UsageError('hopwatch hub: --nats-prefix is letters, digits, - and _');
    out.prefix = v['nats-prefix'];
  }
  if (v['replica-name'] !== undefined) out.replica = v['replica-name'];
  return out;
}
