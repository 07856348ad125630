import type { HubToAgentMessage } from '@hopwatch/shared';
import { CLOSE, PROTOCOL_VERSION } from '@hopwatch/shared/protocol/constants';
import WebSocket from 'ws';
import type { LogFn } from '../util/log.ts';
import { backoffDelay, REFUSED_RETRY_MS } from './backoff.ts';
import { decodeHubFrame } from './hub-message.ts';

export type HubStatus = 'connecting' | 'online' | 'offline' | 'error';

/** Application-level ping: proves the hub still reads us, which TCP alone does not. */
export const PING_INTERVAL_MS = 15_000;
/** No pong by then: the connection is dead even if TCP has not noticed; drop and reconnect. */
export const PONG_TIMEOUT_MS = 10_000;
/** A hub that does not say welcome within this after hello is treated as unreachable. */
export const WELCOME_TIMEOUT_MS = 10_000;
/** Frames queued in the socket beyond this mean a stalled hub: reconnect and backfill instead. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * How the agent checks a `wss://` hub. The certificate is always verified (never
 * `rejectUnauthorized: false`): against the system's CAs, or against `ca` (PEM, `--ca FILE`) for
 * a hub with its own or a self-signed certificate.
 */
export interface HubTls {
  ca?: Buffer | string;
}

export interface ConnectionEvents {
  /** The hub said welcome: send topology, backfill what is newer than lastT, then go live. */
  onWelcome(lastT: number | null): void;
  /** The first frame of every connection. */
  hello(): string;
}

/**
 * One WebSocket to the hub with a status union, backoff with jitter, an application ping and
 * close codes explained in words. Never throws to its owner: every failure becomes a status and
 * a log line, and a retry.
 */
export class HubConnection {
  private ws: WebSocket | null = null;
  private state: HubStatus = 'connecting';
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private pongDeadline: NodeJS.Timeout | null = null;
  private welcomeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly listeners = new Set<(s: HubStatus) => void>();
  private lastProblem: string | null = null;
  readonly url: string;

  constructor(
    hub: string,
    private readonly token: string | null,
    private readonly events: ConnectionEvents,
    private readonly log: LogFn,
    private readonly tls: HubTls = {},
  ) {
    this.url = agentUrl(hub);
  }

  status(): HubStatus {
    return this.state;
  }

  /** Listen to status changes; returns its own unsubscribe. */
  onStatus(fn: (s: HubStatus) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private setStatus(s: HubStatus): void {
    if (this.state === s) return;
    this.state = s;
    for (const fn of this.listeners) fn(s);
  }

  start(): void {
    this.connect();
  }

  /** Send when online; false when the frame was not sent (the caller keeps it in its ring). */
  send(frame: string): boolean {
    const ws = this.ws;
    if (this.state !== 'online' || !ws || ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.problem(`hub is not reading (${ws.bufferedAmount} bytes queued); reconnecting`);
      ws.terminate();
      return false;
    }
    ws.send(frame);
    return true;
  }

  private connect(): void {
    if (this.stopped) return;
    this.setStatus('connecting');
    const headers: Record<string, string> = {};
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const ws = new WebSocket(this.url, {
      headers,
      handshakeTimeout: WELCOME_TIMEOUT_MS,
      ...(this.tls.ca !== undefined ? { ca: this.tls.ca } : {}),
    });
    this.ws = ws;
    let refused: string | null = null;
    ws.on('unexpected-response', (_req, res) => {
      // The hub checks the token before the upgrade: 401/403 is the HTTP form of CLOSE.badToken.
      const code = res.statusCode ?? 0;
      refused =
        code === 401 || code === 403
          ? `hub refused the agent token (HTTP ${code}); check --token-file / HOPWATCH_TOKEN`
          : `hub answered HTTP ${code} instead of a WebSocket upgrade at ${this.url}`;
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      ws.send(this.events.hello());
      this.welcomeTimer = setTimeout(() => {
        this.problem(`hub at ${this.url} did not answer hello within ${WELCOME_TIMEOUT_MS / 1000} s`);
        ws.terminate();
      }, WELCOME_TIMEOUT_MS);
    });
    ws.on('message', (data) => this.onMessage(ws, data.toString()));
    ws.on('error', (e) => {
      if (refused !== null) return; // said in words on close
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const tls = tlsProblem(code, this.tls.ca !== undefined);
      if (tls !== null) refused = `hub at ${this.url}: ${tls}`;
      else this.problem(`cannot reach hub at ${this.url}: ${code || e.message}`);
    });
    ws.on('close', (code, reasonBuf) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.clearTimers();
      if (this.stopped) {
        this.setStatus('offline');
        return;
      }
      const reason = reasonBuf.toString();
      const fatal = refused ?? closeProblem(code, reason);
      if (fatal) {
        this.problem(`${fatal}; retrying in ${REFUSED_RETRY_MS / 1000} s`, 'error');
        this.setStatus('error');
        this.schedule(REFUSED_RETRY_MS);
        return;
      }
      if (this.state === 'online')
        this.log(
          'warn',
          `lost the hub at ${this.url} (close ${code}${reason ? `: ${reason}` : ''}); reconnecting`,
        );
      this.setStatus('offline');
      this.schedule(backoffDelay(this.attempt++));
    });
  }

  private onMessage(ws: WebSocket, raw: string): void {
    const decoded = decodeHubFrame(raw);
    if (!decoded.ok) {
      this.log('warn', `ignoring a bad frame from the hub: ${decoded.error}`);
      return;
    }
    const msg: HubToAgentMessage = decoded.value;
    switch (msg.type) {
      case 'welcome':
        if (this.welcomeTimer) clearTimeout(this.welcomeTimer);
        if (msg.protocol !== PROTOCOL_VERSION) {
          this.log(
            'warn',
            `hub speaks protocol ${msg.protocol}, this agent ${PROTOCOL_VERSION}; trying anyway`,
          );
        }
        this.attempt = 0;
        this.lastProblem = null;
        this.setStatus('online');
        this.log('info', `connected to hub at ${this.url}`);
        this.startPing(ws);
        this.events.onWelcome(msg.lastT);
        return;
      case 'ping':
        ws.send(JSON.stringify({ type: 'pong', t: msg.t }));
        return;
      case 'pong':
        if (this.pongDeadline) clearTimeout(this.pongDeadline);
        this.pongDeadline = null;
        return;
      default: {
        const never: never = msg;
        this.log('warn', `unhandled hub message ${JSON.stringify(never)}`);
      }
    }
  }

  private startPing(ws: WebSocket): void {
    this.pingTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify({ type: 'ping', t: Date.now() }));
      this.pongDeadline ??= setTimeout(() => {
        this.problem(`hub at ${this.url} stopped answering pings; reconnecting`);
        ws.terminate();
      }, PONG_TIMEOUT_MS);
    }, PING_INTERVAL_MS);
  }

  /** Say a problem once, not at every retry of the same outage. */
  private problem(msg: string, level: 'warn' | 'error' = 'warn'): void {
    if (this.lastProblem === msg) return;
    this.lastProblem = msg;
    this.log(level, msg);
  }

  private schedule(ms: number): void {
    this.retryTimer = setTimeout(() => this.connect(), ms);
  }

  private clearTimers(): void {
    for (const t of [this.pingTimer, this.pongDeadline, this.welcomeTimer]) if (t) clearTimeout(t);
    this.pingTimer = this.pongDeadline = this.welcomeTimer = null;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.clearTimers();
    const ws = this.ws;
    if (!ws) {
      this.setStatus('offline');
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1000, 'agent stopping');
    });
    this.ws = null;
    this.setStatus('offline');
  }
}

/** TLS errors Node reports for a certificate it does not trust (tls.connect codes). */
const CERT_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** A certificate the agent refuses, in words with what to do; null for other errors. */
export function tlsProblem(code: string, withCa: boolean): string | null {
  if (!CERT_ERRORS.has(code)) return null;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `its TLS certificate is not for this address (${code}); connect by a name the certificate lists`;
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return `its TLS certificate is not valid now (${code})`;
  return withCa
    ? `its TLS certificate is not signed by the --ca given (${code})`
    : `its TLS certificate is not trusted (${code}); pass the CA that signed it (or the self-signed certificate itself) with --ca FILE`;
}

/** A close code that retrying at the normal pace will not fix, in words; null otherwise. */
function closeProblem(code: number, reason: string): string | null {
  const why = reason ? ` (${reason})` : '';
  switch (code) {
    case CLOSE.badToken:
      return `hub refused the agent token${why}; check --token-file / HOPWATCH_TOKEN`;
    case CLOSE.badProtocol:
      return `hub does not speak protocol ${PROTOCOL_VERSION}${why}`;
    case CLOSE.duplicateHost:
      return `hub already has an agent for this host name${why}; give this one another --name`;
    default:
      return null;
  }
}

/** `ws://host:port` (or http://) → `ws://host:port/ws/agent?protocol=1`. */
export function agentUrl(hub: string): string {
  const url = new URL(hub.includes('://') ? hub : `ws://${hub}`);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  if (url.protocol === 'https:') url.protocol = 'wss:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws/agent`;
  url.searchParams.set('protocol', String(PROTOCOL_VERSION));
  return url.toString();
}
