import { CLOSE, decodeUiToHub, type UiToHubMessage } from '@hopwatch/shared';
import type { RawData, WebSocket } from 'ws';
import type { HubCore } from '../core.ts';
import { closeWith } from './close.ts';
import { TokenBucket } from './rateLimit.ts';
import { UiClient } from './uiClient.ts';

/**
 * A browser sends a subscribe when its view changes and a ping every 5 s: a few messages a
 * minute. Far above that something is wrong (a loop, or a script working the hub), and each
 * message costs the hub a parse and possibly a subscribe: the socket is closed
 * (CLOSE.tooManyMessages) when it sends more than this on average, bursts allowed.
 */
export const UI_MESSAGES_PER_S = 20;
export const UI_MESSAGE_BURST = 100;
/** Hosts one browser may watch at once (the app watches one; a wall of maps a few dozen). */
export const UI_MAX_WATCHED_HOSTS = 256;
/** As an agent's hello: longer names are no host's. */
const UI_MAX_HOST_NAME_CHARS = 253;

export interface UiLimits {
  messagesPerS: number;
  messageBurst: number;
  maxWatchedHosts: number;
}

export const DEFAULT_UI_LIMITS: UiLimits = {
  messagesPerS: UI_MESSAGES_PER_S,
  messageBurst: UI_MESSAGE_BURST,
  maxWatchedHosts: UI_MAX_WATCHED_HOSTS,
};

/** A browser: gets the host list at once and on every change, then what it subscribes to. */
export function handleUi(ws: WebSocket, core: HubCore, limits: UiLimits = DEFAULT_UI_LIMITS): void {
  const client = new UiClient(ws, core.counters);
  const rate = new TokenBucket(limits.messagesPerS, limits.messageBurst);
  core.addUi(client);

  function onMessage(msg: UiToHubMessage): void {
    switch (msg.type) {
      case 'subscribe': {
        const hosts = [...new Set(msg.hosts)];
        if (hosts.length > limits.maxWatchedHosts || hosts.some((h) => h.length > UI_MAX_HOST_NAME_CHARS)) {
          core.counters.reject('ui_too_many_hosts');
          client.reply(
            JSON.stringify({
              type: 'error',
              code: 'too_many_hosts',
              message:
                `a browser may watch at most ${limits.maxWatchedHosts} hosts (names up to ` +
                `${UI_MAX_HOST_NAME_CHARS} characters); subscribe refused, still watching the previous set`,
            }),
          );
          return;
        }
        client.binarySamples = msg.samples === 'binary';
        const unknown = core.subscribe(client, hosts);
        if (unknown.length > 0) {
          const known = [...core.hosts.keys()].sort();
          client.reply(
            JSON.stringify({
              type: 'error',
              code: 'unknown_host',
              message:
                `no agent has reported ${unknown.map((h) => `"${h}"`).join(', ')} yet (watching anyway); ` +
                `known hosts: ${known.length > 0 ? known.join(', ') : 'none'}`,
            }),
          );
        }
        return;
      }
      case 'ping':
        // The app's own ping proves the browser alive, as a protocol pong does; other messages
        // do not (a script that only sends would otherwise never be dropped).
        client.alive = true;
        client.reply(JSON.stringify({ type: 'pong', t: msg.t }));
        return;
      default: {
        const never: never = msg;
        throw new Error(`unhandled browser message ${JSON.stringify(never)}`);
      }
    }
  }

  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (ws.readyState !== ws.OPEN) return;
    if (rate.take(1) > 0) {
      core.counters.refuse('ui_rate_limited');
      core.logOnce(
        'warn',
        'ui:rate',
        `browser socket sent more than ${limits.messagesPerS} messages a second, closed`,
      );
      closeWith(
        ws,
        CLOSE.tooManyMessages,
        `more than ${limits.messagesPerS} messages a second (burst ${limits.messageBurst}); reconnect and send less`,
      );
      return;
    }
    const decoded = isBinary ? null : decodeUiToHub(data.toString());
    if (!decoded?.ok) {
      core.counters.reject('ui_invalid');
      const error = decoded ? decoded.error : 'binary frame';
      core.logOnce('warn', 'ui:invalid', `browser sent a bad frame: ${error}`);
      client.reply(JSON.stringify({ type: 'error', code: 'bad_frame', message: error }));
      return;
    }
    try {
      onMessage(decoded.value);
    } catch (e) {
      core.counters.reject('internal_error');
      core.logOnce(
        'error',
        'ui:internal',
        `handling a browser "${decoded.value.type}" frame failed: ${(e as Error).stack}`,
      );
    }
  });
  ws.on('pong', () => {
    client.alive = true;
  });
  ws.on('error', (err) => core.logOnce('warn', 'ui:error', `browser socket: ${err.message}`));

  function heartbeat(): void {
    if (!client.alive) {
      ws.terminate();
      return;
    }
    client.alive = false;
    if (ws.readyState === ws.OPEN) ws.ping();
  }
  core.heartbeats.add(heartbeat);
  ws.on('close', () => {
    core.heartbeats.delete(heartbeat);
    core.removeUi(client);
  });
}
