import { randomBytes } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LISTEN, DEFAULT_PORT, type Hub, type HubOptions, startHub } from '@hopwatch/hub';
import { type Command, intOption, parseCommandArgs, UsageError } from '../command.ts';
import { NATS_HELP, NATS_OPTIONS, type NatsValues, natsOptionsFrom } from './hubNats.ts';
import {
  AUTH_HELP,
  AUTH_OPTIONS,
  type AuthValues,
  authOptionsFrom,
  printAuthBanner,
  reloadOnHangup,
} from './hubAuth.ts';

/**
 * Recordings are user data, not checkout data: `$XDG_DATA_HOME/hopwatch/hopwatch.db`
 * (~/.local/share/hopwatch/hopwatch.db), so they survive a fresh clone and are never committed.
 */
export function defaultDbPath(): string {
  const base = process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share');
  return join(base, 'hopwatch', 'hopwatch.db');
}

export function randomToken(): string {
  return randomBytes(18).toString('base64url');
}

export const HUB_OPTIONS = {
  port: { type: 'string' },
  listen: { type: 'string' },
  db: { type: 'string' },
  'retention-hours': { type: 'string' },
  'retention-mb': { type: 'string' },
  'allow-origin': { type: 'string', multiple: true },
  'chunk-seconds': { type: 'string' },
  ...AUTH_OPTIONS,
} as const;

type HubValues = {
  port?: string | undefined;
  listen?: string | undefined;
  db?: string | undefined;
  'retention-hours'?: string | undefined;
  'retention-mb'?: string | undefined;
  'allow-origin'?: string[] | undefined;
  'chunk-seconds'?: string | undefined;
} & AuthValues;

/** The flags `hub` and `start` share, as HubOptions. */
export function hubOptionsFrom(command: string, v: HubValues, agentToken: string | null): HubOptions {
  const opts: HubOptions = {
    port: intOption(command, 'port', v.port, 0, 65535) ?? DEFAULT_PORT,
    listen: v.listen ?? DEFAULT_LISTEN,
    db: v.db ?? defaultDbPath(),
    agentToken,
    allowedOrigins: v['allow-origin'] ?? [],
    auth: authOptionsFrom(command, v),
  };
  const hours = intOption(command, 'retention-hours', v['retention-hours'], 1, 24 * 365);
  if (hours !== undefined) opts.retentionMs = hours * 3600_000;
  const mb = intOption(command, 'retention-mb', v['retention-mb'], 1, 1024 * 1024);
  if (mb !== undefined) opts.retentionBytes = mb * 1024 * 1024;
  const chunk = intOption(command, 'chunk-seconds', v['chunk-seconds'], 1, 600);
  if (chunk !== undefined) opts.chunkMs = chunk * 1000;
  return opts;
}

/** Flags of `hub` alone (TLS and per-host agent tokens; `start` runs its own agent in-process). */
export const HUB_ONLY_OPTIONS = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'agent-tokens-file': { type: 'string' },
  'import-max-mb': { type: 'string' },
  ...NATS_OPTIONS,
} as const;

export function hubOnlyOptions(
  v: {
    'tls-cert'?: string | undefined;
    'tls-key'?: string | undefined;
    'agent-tokens-file'?: string | undefined;
    'import-max-mb'?: string | undefined;
  } & NatsValues,
): Partial<HubOptions> {
  const out: Partial<HubOptions> = {};
  const cert = v['tls-cert'];
  const key = v['tls-key'];
  if ((cert === undefined) !== (key === undefined))
    throw new UsageError('hopwatch hub: --tls-cert and --tls-key go together (PEM files)');
  if (cert !== undefined && key !== undefined) out.tls = { cert, key };
  if (v['agent-tokens-file'] !== undefined) out.agentTokensFile = v['agent-tokens-file'];
  const mb = intOption('hub', 'import-max-mb', v['import-max-mb'], 1, 1024 * 1024);
  if (mb !== undefined) out.importLimits = { maxCompressedBytes: mb * 1024 * 1024 };
  const nats = natsOptionsFrom(v);
  if (nats) out.nats = nats;
  return out;
}

/**
 * Runs until SIGINT or SIGTERM, then `cleanup` (flush the recording, stop agents) and exit 0.
 * A second signal during cleanup exits at once with 130.
 */
export function untilSignal(cleanup: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) {
        console.error(`hopwatch: ${sig} again, exiting without waiting`);
        process.exit(130);
      }
      stopping = true;
      console.error(`hopwatch: ${sig}, flushing the recording and stopping…`);
      cleanup()
        .catch((e: Error) => console.error(`hopwatch: while stopping: ${e.message}`))
        .finally(() => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          // Nothing should keep the loop alive after cleanup; if something does, do not hang.
          setTimeout(() => process.exit(0), 3000).unref();
          resolve(0);
        });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function printHubBanner(hub: Hub, opts: HubOptions): void {
  const to = opts.nats ? `NATS JetStream at ${opts.nats.servers.join(',')}` : opts.db;
  console.log(`hopwatch hub: ${hub.url}  (recording to ${to})`);
  printAuthBanner(hub, opts);
}

const HELP = `hopwatch hub: the hub alone, for a central deployment.

Usage: hopwatch hub [--port N] [--listen ADDR] [--db PATH] [--agent-token T]
                    [--retention-hours H] [--retention-mb MB] [--allow-origin ORIGIN]...
                    [--access-token-file F] [--tokens-file F] [--public-url URL]
                    [--auth-proxy-header H --trusted-proxy CIDR[,CIDR]] [--insecure-no-auth]
                    [--tls-cert FILE --tls-key FILE] [--agent-tokens-file FILE] [--import-max-mb MB]
                    [--nats URL[,URL…] [--nats-creds F] [--nats-tls-ca F] …]

  --port N             HTTP + WebSocket port (default ${DEFAULT_PORT}; 0 picks a free one)
  --listen ADDR        address to bind (default ${DEFAULT_LISTEN}; 0.0.0.0 for every interface)
  --db PATH            recording file (default ${defaultDbPath()})
  --agent-token T      token agents must present (default $HOPWATCH_TOKEN, else a random one,
                       printed at start)
  --retention-hours H  keep recordings this long (default 24)
  --retention-mb MB    and at most this many MiB of them (default 2048)
  --allow-origin O     another web origin allowed to open /ws/ui (repeatable)
  --chunk-seconds S    seconds of samples per recording chunk (default 10; a crash loses at most
                       this much, which agents re-send when they reconnect)
${AUTH_HELP}
  --tls-cert FILE      serve https and wss with this PEM certificate (chain) ...
  --tls-key FILE       ... and its PEM private key; agents then use --hub wss://… (and --ca)
  --agent-tokens-file F  per-host agent tokens, "HOST TOKEN" a line: that token may only report
                       as that host (beside --agent-token, which may report as any); re-read on
                       SIGHUP
  --import-max-mb MB   largest recording file POST /api/import takes, compressed (default 1024)
${NATS_HELP}

Agents connect with:  hopwatch agent --hub ws://HUB:PORT --token T   (or HOPWATCH_TOKEN=T)
The hub serves the web app at /, the API under /api, /metrics (Prometheus) and /healthz.`;

export const hubCommand: Command = {
  name: 'hub',
  summary: 'the hub alone: agents connect to it, browsers open it, it records everything',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs(
      'hub',
      { ...HUB_OPTIONS, 'agent-token': { type: 'string' }, ...HUB_ONLY_OPTIONS },
      argv,
    );
    const given = values['agent-token'] ?? process.env.HOPWATCH_TOKEN;
    const token = given && given.length > 0 ? given : randomToken();
    const opts = { ...hubOptionsFrom('hub', values, token), ...hubOnlyOptions(values) };
    let hub: Hub;
    try {
      hub = await startHub(opts);
    } catch (e) {
      // Start-up errors are sentences (port in use, unreadable certificate or tokens file).
      console.error(`hopwatch hub: ${(e as Error).message}`);
      return 1;
    }
    printHubBanner(hub, opts);
    reloadOnHangup(hub);
    if (!given) console.log(`hopwatch hub: agent token (generated): ${token}`);
    // Bound to every interface: the loopback URL is no use to an agent on another machine.
    const everywhere = opts.listen === '0.0.0.0' || opts.listen === '::';
    const ws = opts.tls ? 'wss' : 'ws';
    const wsUrl = everywhere ? `${ws}://${hostname()}:${hub.port}` : hub.url.replace(/^http/, 'ws');
    console.log(
      `hopwatch hub: agents connect with: hopwatch agent --hub ${wsUrl} --token ${given ? 'T' : token}` +
        (opts.tls ? ' [--ca CERT.pem, when the certificate is self-signed or from your own CA]' : ''),
    );
    // SIGHUP re-reads --agent-tokens-file (add or revoke a host without a restart).
    const onHup = () => {
      try {
        hub.reloadAgentTokens();
      } catch (e) {
        console.error(`hopwatch hub: SIGHUP: ${(e as Error).message}; keeping the previous agent tokens`);
      }
    };
    if (opts.agentTokensFile !== undefined) process.on('SIGHUP', onHup);
    return untilSignal(() => {
      process.off('SIGHUP', onHup);
      return hub.close();
    });
  },
};
