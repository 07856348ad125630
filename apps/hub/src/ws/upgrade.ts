import type { IncomingMessage, Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { CLOSE, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '@hopwatch/shared';
import { type WebSocket, WebSocketServer } from 'ws';
import type { HubCore } from '../core.ts';
import { type AgentLimits, DEFAULT_AGENT_LIMITS, handleAgent } from './agentSession.ts';
import type { UpgradeRefusal } from '../http/auth/upgrade.ts';
import { identifyAgent } from './agentTokens.ts';
import { closeWith } from './close.ts';
import { handleUi } from './uiSession.ts';

/** Browsers only send subscribe and ping: small frames. */
const UI_MAX_FRAME_BYTES = 64 * 1024;

export interface UpgradeOptions {
  /** null: agents need no token (tests, or a hub only loopback can reach). */
  agentToken: string | null;
  /** Per-host agent tokens (token → host), beside or instead of the shared one (agentTokens.ts); read per connection, so a reload applies to the next one. */
  agentTokens?: () => ReadonlyMap<string, string>;
  /** Host, Origin and credential of a browser socket (http/auth/upgrade.ts); null lets it in. */
  checkUi: (req: IncomingMessage) => UpgradeRefusal | null;
  /** Told of every browser socket opened (http/auth watches it for sign-out and revocation). */
  onUiOpen?: (ws: WebSocket, req: IncomingMessage) => void;
  agentLimits?: Partial<AgentLimits>;
}

function refuse(socket: Duplex, status: number, statusText: string, body: string): void {
  const text = `${body}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(text)}\r\n` +
      (status === 401 ? 'WWW-Authenticate: Bearer realm="hopwatch agents"\r\n' : '') +
      'Connection: close\r\n\r\n' +
      text,
  );
}

/**
 * Routes WebSocket upgrades: agents on /ws/agent, browsers on /ws/ui. permessage-deflate stays
 * off on both (reference/scale-and-metrics.md 4.6: ~22x the CPU and ~350 KB RSS per socket).
 */
export function attachUpgrades(server: Server | HttpsServer, core: HubCore, opts: UpgradeOptions) {
  const limits: AgentLimits = { ...DEFAULT_AGENT_LIMITS, ...opts.agentLimits };
  const agents = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    perMessageDeflate: false,
  });
  const browsers = new WebSocketServer({
    noServer: true,
    maxPayload: UI_MAX_FRAME_BYTES,
    perMessageDeflate: false,
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://hub.invalid');
    const remote = req.socket.remoteAddress ?? '?';
    switch (url.pathname) {
      case '/ws/agent': {
        // The token is checked here, before handleUpgrade, so an unauthenticated socket never
        // becomes a WebSocket, never reaches the agent code and never costs more than this.
        const perHost = opts.agentTokens?.() ?? new Map<string, string>();
        const who =
          opts.agentToken === null && perHost.size === 0
            ? ({ ok: true, host: null } as const)
            : identifyAgent({ shared: opts.agentToken, perHost }, req.headers.authorization);
        if (!who.ok) {
          core.counters.refuse('bad_token');
          core.logOnce(
            'warn',
            `token:${remote}`,
            `agent at ${remote}: missing or wrong token, refused (401)`,
          );
          refuse(
            socket,
            401,
            'Unauthorized',
            'hopwatch hub: missing or wrong agent token. Start the agent with --token T or HOPWATCH_TOKEN=T, ' +
              "T being the hub's --agent-token or this host's token in its --agent-tokens-file.",
          );
          return;
        }
        const protocol = url.searchParams.get('protocol');
        agents.handleUpgrade(req, socket, head, (ws) => {
          if (protocol !== null && protocol !== String(PROTOCOL_VERSION)) {
            core.counters.refuse('bad_protocol');
            core.logOnce(
              'warn',
              `protocol:${remote}`,
              `agent at ${remote} speaks protocol ${protocol}, refused`,
            );
            closeWith(
              ws,
              CLOSE.badProtocol,
              `hub speaks protocol ${PROTOCOL_VERSION}, agent asked for ${protocol}: run the same hopwatch version on both`,
            );
            return;
          }
          handleAgent(ws, req, core, limits, who.host);
        });
        return;
      }
      case '/ws/ui': {
        const no = opts.checkUi(req);
        if (no !== null) {
          core.counters.refuse(no.reason);
          core.logOnce(
            'warn',
            `ui:${no.reason}:${remote}`,
            `browser socket from ${remote} refused (${no.status}): ${no.text}`,
          );
          refuse(
            socket,
            no.status,
            no.status === 401 ? 'Unauthorized' : 'Forbidden',
            `hopwatch hub: ${no.text}`,
          );
          return;
        }
        browsers.handleUpgrade(req, socket, head, (ws) => {
          opts.onUiOpen?.(ws, req);
          handleUi(ws, core);
        });
        return;
      }
      default:
        core.counters.refuse('not_found');
        refuse(socket, 404, 'Not Found', 'hopwatch hub: WebSockets are on /ws/agent and /ws/ui');
    }
  });

  return {
    /** Says goodbye with a code (agents reconnect later) and stops accepting. */
    close(): void {
      for (const ws of agents.clients) closeWith(ws, CLOSE.shuttingDown, 'hub shutting down');
      for (const ws of browsers.clients) closeWith(ws, CLOSE.shuttingDown, 'hub shutting down');
      agents.close();
      browsers.close();
    },
    terminateAll(): void {
      for (const ws of agents.clients) ws.terminate();
      for (const ws of browsers.clients) ws.terminate();
    },
  };
}
