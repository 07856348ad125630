import { evaluate } from '../src/judge/evaluate.ts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handle } from '../src/connection/live.ts';
import {
  type ConnectionStatus,
  HubSocket,
  type HubSocketOptions,
  RECONNECT_MAX_DELAY_MS,
  type SampleFrame,
  type SocketLike,
  STALL_TIMEOUT_MS,
} from '../src/connection/socket.ts';
import { createAppStore } from '../src/store/index.ts';
import { labSample, labTopology } from './fixtures/topo.ts';

class FakeSocket implements SocketLike {
  readyState = 0;
  binaryType: BinaryType = 'blob';
  sent: string[] = [];
  onopen: ((ev: Event) => void) | null = null;
  onclose: ((ev: CloseEvent) => void) | null = null;
  onerror: ((ev: Event) => void) | null = null;
  onmessage: ((ev: MessageEvent) => void) | null = null;
  send(data: string) {
    this.sent.push(data);
  }
  close(code = 1000) {
    this.readyState = 3;
    this.onclose?.({ code } as CloseEvent);
  }
  open() {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }
  receive(data: unknown) {
    const raw = typeof data === 'string' || data instanceof ArrayBuffer ? data : JSON.stringify(data);
    this.onmessage?.({ data: raw } as MessageEvent);
  }
}

describe('HubSocket', () => {
  let sockets: FakeSocket[];
  let hub: HubSocket;
  let statuses: ConnectionStatus[];
  /** A HubSocket whose sockets are fakes, kept in `sockets`. */
  const socketWith = (opts: Omit<HubSocketOptions, 'createSocket'>) =>
    new HubSocket({
      ...opts,
      createSocket: () => {
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
    });
  beforeEach(() => {
    vi.useFakeTimers();
    sockets = [];
    statuses = [];
    hub = socketWith({ url: 'ws://test/ws/ui' });
    hub.onStatus((s) => statuses.push(s));
  });
  afterEach(() => {
    hub.stop();
    vi.useRealTimers();
  });

  it('goes online, subscribes, and re-subscribes after a reconnect with backoff', () => {
    hub.subscribe(['h1']);
    hub.start();
    sockets[0]!.open();
    expect(JSON.parse(sockets[0]!.sent[0]!)).toEqual({ type: 'subscribe', hosts: ['h1'] });
    sockets[0]!.close(1006);
    expect(hub.status).toBe('offline');
    vi.advanceTimersByTime(RECONNECT_MAX_DELAY_MS);
    expect(sockets.length).toBe(2);
    sockets[1]!.open();
    expect(JSON.parse(sockets[1]!.sent[0]!)).toEqual({ type: 'subscribe', hosts: ['h1'] });
    expect(statuses).toEqual(['online', 'offline', 'connecting', 'online']);
  });

  it('says error when the hub refuses us with its own close code', () => {
    hub.start();
    sockets[0]!.open();
    sockets[0]!.close(4002);
    expect(hub.status).toBe('error');
  });

  it('drops a bad frame, counts it, and keeps delivering good ones', () => {
    const bad: string[] = [];
    const got: string[] = [];
    hub = socketWith({ url: 'ws://x', onBadFrame: (e) => bad.push(e) });
    hub.onMessage((m) => got.push(m.type));
    hub.start();
    const s = sockets.at(-1)!;
    s.open();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    s.receive('{not json');
    s.receive({ type: 'nope' });
    s.receive({ type: 'pong', t: 1 });
    expect(bad.length).toBe(2);
    expect(got).toEqual(['pong']);
    warn.mockRestore();
  });

  it('LOAD4: opened early, it holds every frame undecoded until released, then delivers them in order', () => {
    const got: string[] = [];
    const samples: SampleFrame[] = [];
    hub = socketWith({ url: 'ws://x', hold: true });
    hub.subscribe(['h1']);
    hub.start();
    const s = sockets.at(-1)!;
    s.open();
    s.receive({ type: 'hosts', hosts: [] });
    s.receive('{"type":"sample","host":"h1"}');
    s.receive({ type: 'pong', t: 1 });
    hub.onMessage((m, raw) => got.push(`${m.type}:${raw.length > 0}`));
    expect(got).toEqual([]);
    hub.release({ onSampleFrame: (raw) => samples.push(raw) });
    expect(got).toEqual(['hosts:true', 'pong:true']);
    expect(samples).toEqual(['{"type":"sample","host":"h1"}']);
    // The app starting it again opens no second socket; the same subscription is not sent again.
    hub.start();
    hub.subscribe(['h1']);
    expect(sockets.length).toBe(1);
    expect(s.sent.filter((m) => JSON.parse(m).type === 'subscribe')).toHaveLength(1);
    hub.subscribe([]);
    expect(s.sent.filter((m) => JSON.parse(m).type === 'subscribe')).toHaveLength(2);
  });

  it('LOAD12: with a taker of raw samples it asks for binary sample frames and hands their bytes over undecoded, held ones in order', () => {
    const bytes = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;
    const got: string[] = [];
    const samples: SampleFrame[] = [];
    hub = socketWith({ url: 'ws://x', hold: true });
    hub.subscribe(['h1']);
    hub.start();
    const s = sockets.at(-1)!;
    expect(s.binaryType).toBe('arraybuffer');
    s.open();
    expect(JSON.parse(s.sent[0]!)).toEqual({ type: 'subscribe', hosts: ['h1'], samples: 'binary' });
    const first = bytes('{"type":"sample","host":"h1","n":1}');
    s.receive(first);
    s.receive({ type: 'pong', t: 1 });
    hub.onMessage((m) => got.push(m.type));
    hub.release({ onSampleFrame: (raw) => samples.push(raw) });
    const second = bytes('{"type":"sample","host":"h1","n":2}');
    s.receive(second);
    // The same buffers, neither decoded nor copied here (the judge worker takes them by transfer).
    expect(samples).toEqual([first, second]);
    expect(samples[0]).toBe(first);
    expect(got).toEqual(['pong']);
  });

  it('LOAD12: without a taker of raw samples it asks for text, and a binary frame is decoded like any frame; bytes that are not UTF-8 are a bad frame', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const got: string[] = [];
    const bad: string[] = [];
    hub = socketWith({ url: 'ws://x', onBadFrame: (e) => bad.push(e) });
    hub.onMessage((m) => got.push(m.type));
    hub.subscribe(['h1']);
    hub.start();
    const s = sockets.at(-1)!;
    s.open();
    expect(JSON.parse(s.sent[0]!)).toEqual({ type: 'subscribe', hosts: ['h1'] });
    s.receive(new TextEncoder().encode(JSON.stringify({ type: 'pong', t: 1 })).buffer);
    s.receive(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]).buffer);
    expect(got).toEqual(['pong']);
    expect(bad).toEqual(['a binary frame that is not UTF-8 text']);
    warn.mockRestore();
  });

  it('pings, and closes a stalled link so it reconnects', () => {
    hub.start();
    sockets[0]!.open();
    vi.advanceTimersByTime(5_000);
    expect(sockets[0]!.sent.some((m) => JSON.parse(m).type === 'ping')).toBe(true);
    vi.advanceTimersByTime(STALL_TIMEOUT_MS + 5_000);
    expect(sockets.length).toBeGreaterThan(1);
  });

  it('stop() closes for good: no reconnect', () => {
    hub.start();
    sockets[0]!.open();
    hub.stop();
    vi.advanceTimersByTime(RECONNECT_MAX_DELAY_MS * 2);
    expect(sockets.length).toBe(1);
  });
});

describe('hub messages into the store', () => {
  it('picks the only host, takes its topology and samples', () => {
    const store = createAppStore(evaluate);
    handle(store, {
      type: 'hosts',
      hosts: [
        {
          host: 'lab-host',
          status: 'online',
          lastSeen: 1,
          agentVersion: '0.1.0',
          ifaceCount: 23,
          lossHops: 0,
          worst: 'ok',
        },
      ],
    });
    expect(store.getState().host).toBe('lab-host');
    handle(store, { type: 'topology', host: 'lab-host', t: 1, topology: labTopology() });
    handle(store, { type: 'sample', host: 'lab-host', merged: 1, sample: labSample(2000, 10) });
    expect(store.getState().topology?.ifaces.length).toBe(labTopology().ifaces.length);
    expect(store.getState().history.length).toBe(1);
    handle(store, { type: 'error', code: 'unknown-host', message: 'no such host' });
    expect(store.getState().hubError).toContain('unknown-host');
  });
});
