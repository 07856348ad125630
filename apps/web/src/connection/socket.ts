import type { UiToHubMessage } from '@hopwatch/shared';
import { MAX_FRAME_BYTES } from '@hopwatch/shared/protocol/constants';
import { decodeHubFrame, type HubFrame } from './decodeHub.ts';
import { frameText } from './frameText.ts';

/** connecting: first attempt or a retry in flight; online: open and answering; offline: waiting to retry; error: gave up on this attempt (bad frames, refused). */
export type ConnectionStatus = 'connecting' | 'online' | 'offline' | 'error';

/** First retry soon: a hub restart (npm start again) is back within a second. */
export const RECONNECT_MIN_DELAY_MS = 250;
/** Cap: a hub that is down for long should not be hammered, but an operator waits at most this. */
export const RECONNECT_MAX_DELAY_MS = 8_000;
/** NOTE: browsers hide protocol-level pings from JS, so liveness is an application ping. */
export const PING_INTERVAL_MS = 5_000;
/** No frame at all for this long (samples arrive every second) means the link is stalled. */
export const STALL_TIMEOUT_MS = 15_000;

/** Our own close code for a stalled link (the hub's codes start at 4001, protocol CLOSE). */
const STALL_CLOSE_CODE = 4000;

/** How the hub serialises a sample frame (JSON.stringify keeps key order): cheap to recognise. */
export const SAMPLE_FRAME_PREFIX = '{"type":"sample"';
/** A topology frame, written the same way (the early judge takes the first one). */
export const TOPOLOGY_FRAME_PREFIX = '{"type":"topology"';

/**
 * A `sample` frame as it came: text, or the bytes of a binary frame (the socket asks the hub for
 * those: they go to the judge worker by transfer, neither decoded nor copied on this thread).
 */
export type SampleFrame = string | ArrayBuffer;

type Listener<T> = (value: T) => void;
/** A decoded frame, with the text it came as (the judge worker takes a topology as text). */
type MessageListener = (msg: HubFrame, raw: string) => void;

export interface SocketLike {
  readyState: number;
  binaryType: BinaryType;
  onopen: ((ev: Event) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onerror: ((ev: Event) => void) | null;
  onmessage: ((ev: MessageEvent) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface HubSocketOptions {
  url: string;
  /** Injected for tests; defaults to the browser's WebSocket. */
  createSocket?: (url: string) => SocketLike;
  /** Called once per distinct decode error (a bad frame is logged, counted, and the loop goes on). */
  onBadFrame?: (error: string) => void;
  /**
   * Takes `sample` frames undecoded (the judge worker decodes them off the main thread: zod over
   * a thousand interface rows is a tick's worth of work). Other frames are checked here
   * (decodeHub.ts); without this a sample frame is a bad frame.
   */
  onSampleFrame?: (raw: SampleFrame) => void;
  /**
   * Keep every frame, undecoded, until release(): the socket opens before the app that takes its
   * frames is loaded (connection/early.ts), and nothing is decoded or dropped meanwhile.
   */
  hold?: boolean;
  /**
   * While holding, each frame is offered here first; true: taken (not held for the app). The
   * entry's judge worker takes the sample frames this way before the app is loaded (judge/early.ts).
   */
  onHeldFrame?: (raw: SampleFrame) => boolean;
}

const OPEN = 1;

/**
 * What an early socket holds for the app, in characters: room for the largest frame the hub may
 * send (the topology comes first) and the samples behind it. The app takes them within a second or
 * two; a page whose app never loads must not grow without end.
 */
const MAX_HELD_CHARS = 2 * MAX_FRAME_BYTES;
/** Distinct bad-frame messages logged once each; past this, the rest are not logged. */
const MAX_SEEN_ERRORS = 100;

/**
 * The browser's link to the hub: status union, exponential backoff with jitter, app-level ping,
 * listeners that return their own unsubscribe. The subscription is re-sent on every reconnect.
 */

export class HubSocket {
  #opts: HubSocketOptions;
  #ws: SocketLike | null = null;
  #status: ConnectionStatus = 'connecting';
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #pingTimer: ReturnType<typeof setInterval> | null = null;
  #lastFrameAt = 0;
  #hosts: string[] = [];
  #closed = false;
  #statusListeners = new Set<Listener<ConnectionStatus>>();
  #messageListeners = new Set<MessageListener>();
  #seenErrors = new Set<string>();
  #held: SampleFrame[] | null;
  #heldChars = 0;
  #heldFull = false;

  constructor(opts: HubSocketOptions) {
    this.#opts = opts;
    this.#held = opts.hold === true ? [] : null;
  }

  /** Take the held frames, in order, with these handlers (and every later frame likewise). */
  release(opts: Pick<HubSocketOptions, 'onBadFrame' | 'onSampleFrame'>): void {
    this.#opts = { ...this.#opts, ...opts };
    const held = this.#held ?? [];
    this.#held = null;
    for (const raw of held) this.#receive(raw);
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  onStatus(cb: Listener<ConnectionStatus>): () => void {
    this.#statusListeners.add(cb);
    return () => this.#statusListeners.delete(cb);
  }

  onMessage(cb: MessageListener): () => void {
    this.#messageListeners.add(cb);
    return () => this.#messageListeners.delete(cb);
  }

  /** Connects (once: a socket already started is left as it is). */
  start(): void {
    if (!this.#closed && (this.#ws !== null || this.#retryTimer !== null)) return;
    this.#closed = false;
    this.#connect();
  }

  /**
   * The complete set of watched hosts (replaces the previous set, as the protocol says). The same
   * set again is not sent: the hub would send the whole topology again (1 MB at 3000 interfaces).
   */
  subscribe(hosts: string[]): void {
    const same = hosts.length === this.#hosts.length && hosts.every((h, i) => h === this.#hosts[i]);
    this.#hosts = hosts;
    if (!same) this.#send(this.#subscription());
  }

  stop(): void {
    this.#closed = true;
    this.#clearTimers();
    this.#ws?.close(1000, 'bye');
    this.#ws = null;
  }

  #setStatus(status: ConnectionStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    for (const cb of this.#statusListeners) cb(status);
  }

  #send(msg: UiToHubMessage): void {
    if (this.#ws?.readyState === OPEN) this.#ws.send(JSON.stringify(msg));
  }

  /** What this socket subscribes with: binary sample frames when a taker of raw samples is set. */
  #subscription(): UiToHubMessage {
    return this.#opts.onSampleFrame !== undefined || this.#opts.hold === true
      ? { type: 'subscribe', hosts: this.#hosts, samples: 'binary' }
      : { type: 'subscribe', hosts: this.#hosts };
  }

  #connect(): void {
    this.#setStatus('connecting');
    const create = this.#opts.createSocket ?? ((url: string) => new WebSocket(url) as SocketLike);
    let ws: SocketLike;
    try {
      ws = create(this.#opts.url);
    } catch {
      this.#setStatus('error');
      this.#scheduleRetry();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      this.#attempt = 0;
      this.#lastFrameAt = Date.now();
      this.#setStatus('online');
      this.#send(this.#subscription());
      this.#pingTimer = setInterval(() => this.#ping(), PING_INTERVAL_MS);
    };
    // Binary frames (samples) as bytes, not a Blob: read at once, and transferable to a worker.
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (ev) => this.#receive(ev.data);
    ws.onerror = () => {
      // A close event always follows; the retry is scheduled there.
    };
    ws.onclose = (ev) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#clearTimers();
      if (this.#closed) return;
      // 4001-4999 are the hub's own refusals (bad protocol, bad frame): say error, still retry.
      this.#setStatus(ev.code > STALL_CLOSE_CODE && ev.code < 5000 ? 'error' : 'offline');
      this.#scheduleRetry();
    };
  }

  #receive(data: unknown): void {
    this.#lastFrameAt = Date.now();
    if (data instanceof ArrayBuffer) {
      this.#receiveBinary(data);
      return;
    }
    const raw = typeof data === 'string' ? data : String(data);
    if (this.#held !== null) this.#hold(raw);
    else if (this.#opts.onSampleFrame !== undefined && raw.startsWith(SAMPLE_FRAME_PREFIX))
      this.#opts.onSampleFrame(raw);
    else this.#decode(raw);
  }

  /** A binary frame is a sample frame (the hub sends nothing else so); checked where it is decoded. */
  #receiveBinary(bytes: ArrayBuffer): void {
    if (this.#held !== null) this.#hold(bytes);
    else if (this.#opts.onSampleFrame !== undefined) this.#opts.onSampleFrame(bytes);
    else {
      // Nobody takes raw samples: decoded here like any frame (a bad one is counted as bad).
      const text = frameText(bytes);
      if (text.ok) this.#decode(text.value);
      else this.#bad(text.error);
    }
  }

  /** Before release(): offered to the early judge, else kept for the app (bounded). */
  #hold(raw: SampleFrame): void {
    if (this.#opts.onHeldFrame?.(raw) === true) return;
    const size = typeof raw === 'string' ? raw.length : raw.byteLength;
    if (this.#heldChars + size <= MAX_HELD_CHARS) {
      this.#held?.push(raw);
      this.#heldChars += size;
    } else if (!this.#heldFull) {
      // Said once: frames lost before the app came would otherwise leave no trace.
      this.#heldFull = true;
      console.warn(
        `hopwatch: the page held ${this.#heldChars} characters of frames before the app took them; dropping more`,
      );
    }
  }

  #decode(raw: string): void {
    const decoded = decodeHubFrame(raw);
    if (!decoded.ok) this.#bad(decoded.error);
    else for (const cb of this.#messageListeners) cb(decoded.value, raw);
  }

  #bad(error: string): void {
    if (!this.#seenErrors.has(error) && this.#seenErrors.size < MAX_SEEN_ERRORS) {
      this.#seenErrors.add(error);
      console.warn(`hopwatch: dropped a bad frame from the hub: ${error}`);
    }
    this.#opts.onBadFrame?.(error);
  }

  #ping(): void {
    if (Date.now() - this.#lastFrameAt > STALL_TIMEOUT_MS) {
      // Stalled: close and let onclose reconnect (a half-open TCP link never closes by itself).
      this.#ws?.close(STALL_CLOSE_CODE, 'stalled');
      return;
    }
    this.#send({ type: 'ping', t: Date.now() });
  }

  #scheduleRetry(): void {
    const base = Math.min(RECONNECT_MAX_DELAY_MS, RECONNECT_MIN_DELAY_MS * 2 ** this.#attempt);
    // Jitter: many browsers reconnecting to a restarted hub should not arrive in one burst.
    const delay = base / 2 + Math.random() * (base / 2);
    this.#attempt++;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (!this.#closed) this.#connect();
    }, delay);
  }

  #clearTimers(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    if (this.#pingTimer !== null) clearInterval(this.#pingTimer);
    this.#retryTimer = null;
    this.#pingTimer = null;
  }
}
