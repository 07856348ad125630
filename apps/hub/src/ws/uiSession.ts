import { decodeUiToHub, type UiToHubMessage } from '@hopwatch/shared';
import type { RawData, WebSocket } from 'ws';
import type { HubCore } from '../core.ts';
import { UiClient } from './uiClient.ts';

/** A browser: gets the host list at once and on every change, then what it subscribes to. */
export function handleUi(ws: WebSocket, core: HubCore): void {
  const client = new UiClient(ws, core.counters);
  core.addUi(client);

  function onMessage(msg: UiToHubMessage): void {
    switch (msg.type) {
      case 'subscribe': {
        const unknown = core.subscribe(client, msg.hosts);
        if (unknown.length > 0) {
          const known = [...core.hosts.keys()].sort();
          client.send(
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
        client.send(JSON.stringify({ type: 'pong', t: msg.t }));
        return;
      default: {
        const never: never = msg;
        throw new Error(`unhandled browser message ${JSON.stringify(never)}`);
      }
    }
  }

  ws.on('message', (data: RawData, isBinary: boolean) => {
    client.alive = true;
    const decoded = isBinary ? null : decodeUiToHub(data.toString());
    if (!decoded?.ok) {
      core.counters.reject('ui_invalid');
      const error = decoded ? decoded.error : 'binary frame';
      core.logOnce('warn', 'ui:invalid', `browser sent a bad frame: ${error}`);
      client.send(JSON.stringify({ type: 'error', code: 'bad_frame', message: error }));
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
