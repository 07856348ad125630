import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { PROTOCOL_VERSION } from '@hopwatch/shared';
import express from 'express';
import { HubCore } from './core.ts';
import { apiRouter } from './http/api.ts';
import { type AuthOptions, HubAuth } from './http/auth/auth.ts';
import { mountAuth } from './http/auth/mount.ts';
import { listRoutes, type RouteInfo } from './http/auth/routes.ts';
import { checkUiUpgrade } from './http/auth/upgrade.ts';
import { metricsRoute } from './http/metrics.ts';
import { DEFAULT_WEB_DIST, webApp } from './http/static.ts';
import { consoleLogger, createOnceLogger, type Logger } from './log.ts';
import type { ImportLimits } from './replay/import.ts';
import { jsonErrors } from './http/errors.ts';
import { replayRouter } from './replay/routes.ts';
import type { Bus } from './seams/bus.ts';
import type { RecordingStore } from './seams/recording.ts';
import type { Registry } from './seams/registry.ts';
import type { NatsOptions } from './fleet/connect.ts';
import {
  DEFAULT_CHUNK_MS,
  DEFAULT_RETENTION_BYTES,
  DEFAULT_RETENTION_MS,
  openStore,
  type StoreOptions,
} from './store/store.ts';
import type { AgentLimits } from './ws/agentSession.ts';
import { loadAgentTokens } from './ws/agentTokens.ts';
import { attachUpgrades } from './ws/upgrade.ts';

export const DEFAULT_PORT = 7070;
/** Loopback unless told otherwise: the hub shows a network's insides to whoever can reach it. */
export const DEFAULT_LISTEN = '127.0.0.1';

export interface HubOptions {
  /** 0 picks a free port (tests). */
  port?: number;
  listen?: string;
  /** SQLite file for recordings; ':memory:' keeps nothing. */
  db: string;
  /** Agents must send `Authorization: Bearer <token>`; null accepts any agent (unless agentTokensFile). */
  agentToken: string | null;
  /** `HOST TOKEN` a line: that token may only report as that host (ws/agentTokens.ts). */
  agentTokensFile?: string;
  retentionMs?: number;
  retentionBytes?: number;
  chunkMs?: number;
  /** Origins besides the hub's own and loopback that may open /ws/ui. */
  allowedOrigins?: string[];
  webDist?: string;
  log?: Logger;
  /** Per-agent rate and bad-frame limits (defaults in ws/agentSession.ts); tests lower them. */
  agentLimits?: Partial<AgentLimits>;
  /** The recording file this hub replays (`hopwatch replay FILE`); shown by GET /api/replay. */
  replaySource?: string | null;
  /** Who may use the API, /metrics and /ws/ui (http/auth/auth.ts). Default: on, token beside the db. */
  auth?: AuthOptions;
  /** PEM files: serve https and wss with Node's own TLS (no proxy needed). */
  tls?: { cert: string; key: string };
  /** Caps on POST /api/import (defaults in replay/import.ts). */
  importLimits?: Partial<ImportLimits>;
  /**
   * The three seams (seams/): by default SQLite at `db` and this process alone. A fleet replica
   * passes its NATS implementations (fleet/); the hub closes them when it closes.
   */
  seams?: HubSeamSet;
  /**
   * Be one stateless replica of a fleet on NATS JetStream (`hopwatch hub --nats`): the recording,
   * live fan-out and host registry there instead of SQLite and this process (fleet/).
   */
  nats?: NatsOptions & { replica?: string };
}

export interface HubSeamSet {
  recording: RecordingStore;
  bus?: Bus;
  registry?: Registry;
  /** Called with the hub's core once it exists (a fleet's bus answers from its live state). */
  bind?(core: HubCore): void;
  /** After the hub closed: flush and disconnect. */
  close?(): Promise<void>;
}

export interface Hub {
  url: string;
  port: number;
  store: RecordingStore;
  core: HubCore;
  auth: HubAuth;
  /** `${url}/?token=…`: opens the app signed in as operator; null with --insecure-no-auth. */
  loginUrl: string | null;
  /** Every HTTP route, from the router (test/auth.test.ts proves each needs a credential). */
  routes(): RouteInfo[];
  /**
   * Reads --agent-tokens-file again (`hopwatch hub` does on SIGHUP): new connections use the new
   * set; a bad file throws and the old set stays. Returns how many hosts the file names.
   */
  reloadAgentTokens(): number;
  /** Closes sockets with CLOSE.shuttingDown, flushes the recording, closes the file. */
  close(): Promise<void>;
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  if (err.code === 'EADDRINUSE')
    return new Error(
      `port ${port} on ${host} is already in use, probably by another hopwatch hub. ` +
        `Stop that one, or pick another port with --port.`,
    );
  if (err.code === 'EADDRNOTAVAIL')
    return new Error(`cannot listen on ${host}: no interface of this machine has that address (--listen)`);
  if (err.code === 'EACCES')
    return new Error(`not allowed to listen on ${host}:${port}; ports below 1024 need root (--port)`);
  return err;
}

/** The certificate and key, read and checked now: a typo is a start-up error in words. */
function tlsOptions(tls: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  const read = (flag: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(
        `cannot read ${flag} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  };
  return { cert: read('--tls-cert', tls.cert), key: read('--tls-key', tls.key) };
}

function listen(server: Server | HttpsServer, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, host, port));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** `--nats`: the fleet's seams, loaded only then (the embedded hub never touches NATS code). */
async function fleetSeams(
  nats: NatsOptions & { replica?: string },
  opts: HubOptions,
  log: Logger,
): Promise<HubSeamSet> {
  const { openFleet } = await import('./fleet/index.ts');
  const fleet = await openFleet(nats, {
    retentionMs: opts.retentionMs ?? DEFAULT_RETENTION_MS,
    retentionBytes: opts.retentionBytes ?? DEFAULT_RETENTION_BYTES,
    chunkMs: opts.chunkMs ?? DEFAULT_CHUNK_MS,
    log,
  });
  return {
    recording: fleet.recording,
    bus: fleet.bus,
    registry: fleet.registry,
    bind: (core) => fleet.bind((host) => (core.hosts.get(host)?.link ? core.liveState(host) : null)),
    close: () => fleet.close(),
  };
}

/** A fleet replica's bus and registry hold NATS subscriptions; the embedded ones nothing. */
async function closeSeams(core: HubCore): Promise<void> {
  await core.bus.close();
  await core.registry.close();
}

export async function startHub(opts: HubOptions): Promise<Hub> {
  const log = opts.log ?? consoleLogger;
  const host = opts.listen ?? DEFAULT_LISTEN;
  const storeOpts: StoreOptions = { log };
  if (opts.retentionMs !== undefined) storeOpts.retentionMs = opts.retentionMs;
  if (opts.retentionBytes !== undefined) storeOpts.retentionBytes = opts.retentionBytes;
  if (opts.chunkMs !== undefined) storeOpts.chunkMs = opts.chunkMs;
  // Read before anything is opened: a bad file is a start-up error, not a half-started hub.
  const loadTokens = (path: string) => loadAgentTokens(path, (m) => log.warn(m));
  let agentTokens = opts.agentTokensFile === undefined ? undefined : loadTokens(opts.agentTokensFile);
  const seams = opts.seams ?? (opts.nats ? await fleetSeams(opts.nats, opts, log) : undefined);
  const store = seams?.recording ?? openStore(opts.db, storeOpts);
  const core = new HubCore(store, log, createOnceLogger(log), Date.now, {
    ...(seams?.bus ? { bus: seams.bus } : {}),
    ...(seams?.registry ? { registry: seams.registry } : {}),
  });
  seams?.bind?.(core);
  let auth: HubAuth;
  try {
    auth = new HubAuth(
      opts.auth ?? {},
      { db: opts.db, listen: host, allowedOrigins: opts.allowedOrigins ?? [] },
      log,
      core.logOnce,
    );
  } catch (e) {
    core.stop();
    void closeSeams(core);
    store.close();
    void seams?.close?.();
    throw e;
  }

  const app = express();
  app.disable('x-powered-by');
  // ---- authentication (http/auth/): headers, who, Host, cross-site, /api/session ----
  mountAuth(app, auth);
  app.get('/healthz', (_req, res) => {
    const st = store.stats();
    res.json({
      ok: true,
      protocol: PROTOCOL_VERSION,
      uptimeS: Math.round(process.uptime()),
      agents: core.agentsConnected(),
      uiClients: core.uiClients.size,
      // No file paths: /healthz answers anyone, and a path tells an attacker about the machine.
      store: { bytes: st.bytes, chunks: st.chunks, samplesPending: st.samplesPending },
    });
  });
  // ---- everything below /healthz needs a credential (mountAuth's requireSignedIn) ----
  app.get('/metrics', (req, res, next) => {
    metricsRoute(core, req, res).catch(next);
  });
  // Before apiRouter: its last route answers every unknown /api path with a 404.
  app.use(
    '/api',
    replayRouter(core, {
      source: opts.replaySource ?? null,
      ...(opts.importLimits ? { importLimits: opts.importLimits } : {}),
    }),
  );
  app.use('/api', apiRouter(core));
  app.use(webApp(opts.webDist ?? DEFAULT_WEB_DIST));
  app.use(jsonErrors(log));

  let server: Server | HttpsServer;
  try {
    server = opts.tls ? createHttpsServer(tlsOptions(opts.tls), app) : createServer(app);
  } catch (e) {
    auth.stop();
    core.stop();
    void closeSeams(core);
    store.close();
    void seams?.close?.();
    const msg = (e as Error).message;
    throw opts.tls && !msg.startsWith('cannot read')
      ? new Error(`--tls-cert/--tls-key: not a usable PEM certificate and matching key (${msg})`)
      : e;
  }
  const upgrades = attachUpgrades(server, core, {
    agentToken: opts.agentToken,
    checkUi: (req) => checkUiUpgrade(auth, req),
    onUiOpen: (ws, req) => auth.watchUi(ws, req),
    ...(agentTokens ? { agentTokens: () => agentTokens! } : {}),
    ...(opts.agentLimits ? { agentLimits: opts.agentLimits } : {}),
  });
  let address: AddressInfo;
  try {
    address = await listen(server, host, opts.port ?? DEFAULT_PORT);
  } catch (e) {
    auth.stop();
    core.stop();
    void closeSeams(core);
    store.close();
    void seams?.close?.();
    throw e;
  }
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const scheme = opts.tls ? 'https' : 'http';
  const url = `${scheme}://${urlHost === '0.0.0.0' || urlHost === '[::]' ? '127.0.0.1' : urlHost}:${address.port}`;

  let closing: Promise<void> | null = null;
  return {
    url,
    port: address.port,
    store,
    core,
    auth,
    loginUrl: auth.access ? `${url}/?token=${encodeURIComponent(auth.access.token)}` : null,
    routes: () => listRoutes(app),
    reloadAgentTokens() {
      if (opts.agentTokensFile === undefined) return 0;
      agentTokens = loadTokens(opts.agentTokensFile);
      log.info(`agent tokens reloaded from ${opts.agentTokensFile}: ${agentTokens.size} host(s)`);
      return agentTokens.size;
    },
    close() {
      closing ??= (async () => {
        upgrades.close();
        auth.stop();
        core.stop();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        // Sockets that do not finish the close handshake promptly are cut: shutdown must not
        // wait on a stuck peer.
        const cut = setTimeout(() => {
          upgrades.terminateAll();
          server.closeAllConnections();
        }, 1000);
        await closed;
        clearTimeout(cut);
        await closeSeams(core);
        store.close();
        await seams?.close?.();
      })();
      return closing;
    },
  };
}
