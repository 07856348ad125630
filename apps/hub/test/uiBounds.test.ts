import { CLOSE } from '@hopwatch/shared';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket as WsSocket } from 'ws';
import WebSocket from 'ws';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { HubCounters } from '../src/state/counters.ts';
import { UI_MAX_BUFFERED_BYTES, UiClient } from '../src/ws/uiClient.ts';
import { UI_MAX_WATCHED_HOSTS, UI_MESSAGE_BURST } from '../src/ws/uiSession.ts';
import { FakeBrowser } from './helpers/clients.ts';
import { TEST_AUTH, authHeaders } from './helpers/auth.ts';

const hubs: Hub[] = [];
async function hub(): Promise<Hub> {
  const h = await startHub({ auth: TEST_AUTH, port: 0, db: ':memory:', agentToken: null, log: silentLogger });
  hubs.push(h);
  return h;
}
afterEach(async () => {
  for (const h of hubs.splice(0)) await h.close();
});

/** A raw /ws/ui socket that does not answer protocol pings by itself. */
function mute(h: Hub) {
  const ws = new WebSocket(`${h.url.replace(/^http/, 'ws')}/ws/ui`, {
    autoPong: false,
    headers: authHeaders(),
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const opened = new Promise<void>((resolve) => ws.on('open', () => resolve()));
  ws.on('error', () => {});
  return { ws, closed, opened };
}
const beat = (h: Hub) => {
  for (const b of h.core.heartbeats) b();
};
const tick = () => new Promise((r) => setTimeout(r, 100));

describe('/ws/ui bounds', () => {
  it('UI1: only a pong or the app’s ping proves a browser alive; other messages do not', async () => {
    const h = await hub();
    const silent = mute(h);
    const pinging = mute(h);
    await Promise.all([silent.opened, pinging.opened]);
    beat(h); // both pinged, neither answers with a protocol pong
    silent.ws.send(JSON.stringify({ type: 'subscribe', hosts: ['a'] }));
    pinging.ws.send(JSON.stringify({ type: 'ping', t: 1 }));
    await tick();
    beat(h);
    // Terminated, not closed: a socket that does not answer pings gets no close handshake.
    expect((await silent.closed).code).toBe(1006);
    await tick();
    expect(pinging.ws.readyState).toBe(WebSocket.OPEN);
    pinging.ws.close();
  });

  it('UI2: a browser over its message rate is closed with CLOSE.tooManyMessages and a reason', async () => {
    const h = await hub();
    const b = new FakeBrowser(h.url);
    await b.opened;
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      b.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    for (let i = 0; i < UI_MESSAGE_BURST + 50; i++) b.ws.send(JSON.stringify({ type: 'ping', t: i }));
    const c = await closed;
    expect(c.code).toBe(CLOSE.tooManyMessages);
    expect(c.reason).toMatch(/more than \d+ messages a second/);
    expect(h.core.counters.refused.get('ui_rate_limited')).toBe(1);
  });

  it('UI3: a subscribe over the host cap is refused in words; the previous set stays', async () => {
    const h = await hub();
    const b = new FakeBrowser(h.url);
    await b.subscribe(['h1']);
    await b.waitFor((m) => m.type === 'error' && m.code === 'unknown_host');
    await b.subscribe(Array.from({ length: UI_MAX_WATCHED_HOSTS + 1 }, (_, i) => `host-${i}`));
    const e = await b.waitFor((m) => m.type === 'error' && m.code === 'too_many_hosts');
    expect(e).toMatchObject({ message: expect.stringMatching(/at most 256 hosts/) });
    expect(h.core.watchedHosts()).toEqual(['h1']);
    b.close();
  });

  it('UI4: watcher sets that become empty are deleted (unsubscribe and disconnect)', async () => {
    const h = await hub();
    const b = new FakeBrowser(h.url);
    await b.subscribe(['ghost-1', 'ghost-2']);
    await b.waitFor((m) => m.type === 'error');
    expect(h.core.watchedHosts().sort()).toEqual(['ghost-1', 'ghost-2']);
    await b.subscribe(['ghost-2']);
    await tick();
    expect(h.core.watchedHosts()).toEqual(['ghost-2']);
    b.close();
    await expect.poll(() => h.core.watchedHosts()).toEqual([]);
  });

  it('UI5: answers (pong, error) go through the send-buffer check: a full buffer drops them', () => {
    const sent: unknown[] = [];
    const ws = {
      OPEN: 1,
      readyState: 1,
      bufferedAmount: UI_MAX_BUFFERED_BYTES + 1,
      send: (f: unknown) => sent.push(f),
    };
    const counters = new HubCounters();
    const c = new UiClient(ws as unknown as WsSocket, counters);
    expect(c.reply('{"type":"pong","t":1}')).toBe(false);
    expect(sent).toEqual([]);
    expect(counters.rejected.get('ui_reply_dropped')).toBe(1);
    ws.bufferedAmount = 0;
    expect(c.reply('{"type":"pong","t":2}')).toBe(true);
    expect(sent).toHaveLength(1);
  });
});
