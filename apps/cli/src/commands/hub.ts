import { randomBytes } from 'node:crypto';
import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_LISTEN, DEFAULT_PORT, type Hub, type HubOptions, startHub } from '@hopwatch/hub';
import { type Command, intOption, parseCommandArgs } from '../command.ts';
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
  console.log(`hopwatch hub: ${hub.url}  (recording to ${opts.db})`);
  printAuthBanner(hub, opts);
}

const HELP = `hopwatch hub: the hub alone, for a central deployment.

Usage: hopwatch hub [--port N] [--listen ADDR] [--db PATH] [--agent-token T]
                    [--retention-hours H] [--retention-mb MB] [--allow-origin ORIGIN]...
                    [--access-token-file F] [--tokens-file F] [--public-url URL]
                    [--auth-proxy-header H --trusted-proxy CIDR[,CIDR]] [--insecure-no-auth]

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

Agents connect with:  hopwatch agent --hub ws://HUB:PORT --token T   (or HOPWATCH_TOKEN=T)
The hub serves the web app at /, the API under /api, /metrics (Prometheus) and /healthz.`;

export const hubCommand: Command = {
  name: 'hub',
  summary: 'the hub alone: agents connect to it, browsers open it, it records everything',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs('hub', { ...HUB_OPTIONS, 'agent-token': { type: 'string' } }, argv);
    const given = values['agent-token'] ?? process.env.HOPWATCH_TOKEN;
    const token = given && given.length > 0 ? given : randomToken();
    const opts = hubOptionsFrom('hub', values, token);
    const hub = await startHub(opts);
    printHubBanner(hub, opts);
    reloadOnHangup(hub);
    if (!given) console.log(`hopwatch hub: agent token (generated): ${token}`);
    // Bound to every interface: the loopback URL is no use to an agent on another machine.
    const everywhere = opts.listen === '0.0.0.0' || opts.listen === '::';
    const wsUrl = everywhere ? `ws://${hostname()}:${hub.port}` : hub.url.replace(/^http/, 'ws');
    console.log(
      `hopwatch hub: agents connect with: hopwatch agent --hub ${wsUrl} --token ${given ? 'T' : token}`,
    );
    return untilSignal(() => hub.close());
  },
};
