import type { IncomingMessage } from 'node:http';
import {
  type AgentMessage,
  CLOSE,
  decodeAgentMessage,
  type HubToAgentMessage,
  PROTOCOL_VERSION,
} from '@hopwatch/shared';
import type { RawData, WebSocket } from 'ws';
import { AGENT_GONE_MIN_MS, type AgentLink, type HubCore } from '../core.ts';
import type { RejectReason } from '../state/counters.ts';
import type { IfaceRows } from '../state/rows.ts';
import { closeWith } from './close.ts';
import { TokenBucket } from './rateLimit.ts';
import { detach, SampleScanner } from './sampleScan.ts';

/** An agent must say hello this soon after connecting, or its socket is closed. */
export const HELLO_TIMEOUT_MS = 10_000;
/**
 * Rate limits per agent. A 1 Hz agent sends 1-3 frames (~50 KB for 1000 interfaces) a second;
 * the burst lets it backfill ten minutes after a reconnect in one go. Beyond that its socket is
 * paused (TCP back-pressure), so a flood costs the hub bounded CPU and loses nothing.
 */
export const AGENT_FRAMES_PER_S = 200;
export const AGENT_FRAME_BURST = 5_000;
export const AGENT_BYTES_PER_S = 16 * 1024 * 1024;
export const AGENT_BYTE_BURST = 64 * 1024 * 1024;
/**
 * The sampling interval an agent may announce. The hub derives from it when a host is lagging and
 * when a silent agent's name is free again (3 intervals): an agent claiming a huge interval would
 * hold its host name long after it went quiet. The same bounds as `hopwatch agent --interval`.
 */
export const AGENT_INTERVAL_MIN_MS = 100;
export const AGENT_INTERVAL_MAX_MS = 60_000;
/** This many bad frames within a minute close the connection: something is badly wrong there. */
export const AGENT_MAX_BAD_FRAMES_PER_MIN = 600;

export interface AgentLimits {
  framesPerS: number;
  frameBurst: number;
  bytesPerS: number;
  byteBurst: number;
  maxBadFramesPerMin: number;
  /** Silence after which a connected agent counts as gone and its host name may be taken. */
  goneAfterMs: number;
}

export const DEFAULT_AGENT_LIMITS: AgentLimits = {
  framesPerS: AGENT_FRAMES_PER_S,
  frameBurst: AGENT_FRAME_BURST,
  bytesPerS: AGENT_BYTES_PER_S,
  byteBurst: AGENT_BYTE_BURST,
  maxBadFramesPerMin: AGENT_MAX_BAD_FRAMES_PER_MIN,
  goneAfterMs: AGENT_GONE_MIN_MS,
};

type Hello = Extract<AgentMessage, { type: 'hello' }>;

/** Frames held while a host name is claimed (milliseconds; an agent sends a few a second). */
const MAX_FRAMES_WHILE_CLAIMING = 1000;

function reasonOf(error: string): RejectReason {
  if (error.startsWith('not JSON')) return 'not_json';
  if (error.startsWith('frame of')) return 'too_large';
  return 'invalid';
}

/**
 * One agent connection: hello → welcome, then topology/sample/keyframe/log/ping frames into the
 * core. A bad frame is counted and logged once a minute per agent, and the loop goes on.
 */
export function handleAgent(
  ws: WebSocket,
  req: IncomingMessage,
  core: HubCore,
  limits: AgentLimits = DEFAULT_AGENT_LIMITS,
  /** The one host this agent's token may report as (--agent-tokens-file); null: any. */
  boundHost: string | null = null,
): void {
  const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
  const frames = new TokenBucket(limits.framesPerS, limits.frameBurst);
  const bytes = new TokenBucket(limits.bytesPerS, limits.byteBurst);
  let host: string | null = null;
  let badWindowStart = Date.now();
  let badInWindow = 0;
  let resumeTimer: NodeJS.Timeout | null = null;
  let alive = true;
  /** Non-null while the hello's host name is being claimed: the frames that came meanwhile. */
  let claiming: { msg: AgentMessage; rows?: IfaceRows }[] | null = null;
  /** Sample frames read with their rows straight into buffers (sampleScan.ts). */
  const scanner = new SampleScanner();

  const link: AgentLink & { instance: string } = {
    instance: '',
    remote,
    lastFrameAt: Date.now(),
    isOpen: () => ws.readyState === ws.OPEN,
    close: (code, reason) => closeWith(ws, code, reason),
  };
  const who = () => (host ? `agent ${host} (${remote})` : `agent at ${remote}`);
  const send = (m: HubToAgentMessage) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };

  const helloTimer = setTimeout(() => {
    core.counters.refuse('hello_timeout');
    core.log.warn(`${who()}: no hello within ${HELLO_TIMEOUT_MS / 1000} s, closing`);
    closeWith(ws, CLOSE.badFrame, `no hello within ${HELLO_TIMEOUT_MS / 1000} s`);
  }, HELLO_TIMEOUT_MS);

  function bad(reason: RejectReason, detail: string): void {
    core.counters.reject(reason);
    core.logOnce('warn', `agent:${host ?? remote}:${reason}`, `${who()}: bad frame (${reason}): ${detail}`);
    const t = Date.now();
    if (t - badWindowStart > 60_000) {
      badWindowStart = t;
      badInWindow = 0;
    }
    badInWindow += 1;
    if (badInWindow > limits.maxBadFramesPerMin) {
      core.counters.refuse('too_many_bad_frames');
      core.log.warn(`${who()}: more than ${limits.maxBadFramesPerMin} bad frames in a minute, closing`);
      closeWith(ws, CLOSE.badFrame, `too many bad frames; last: ${reason}: ${detail}`);
    }
  }

  function throttle(size: number): void {
    const waitMs = Math.max(frames.take(1), bytes.take(size));
    if (waitMs === 0 || resumeTimer) return;
    core.counters.agentThrottled += 1;
    core.logOnce('warn', `agent:${host ?? remote}:throttled`, `${who()}: sending too fast, slowing it down`);
    ws.pause();
    resumeTimer = setTimeout(() => {
      resumeTimer = null;
      ws.resume();
    }, waitMs);
  }

  function onHello(hello: Hello): void {
    clearTimeout(helloTimer);
    if (hello.protocol !== PROTOCOL_VERSION) {
      core.counters.refuse('bad_protocol');
      const why = `hub speaks protocol ${PROTOCOL_VERSION}, agent speaks ${hello.protocol}: run the same hopwatch version on both`;
      core.log.warn(`${who()} (${hello.host}): ${why}`);
      closeWith(ws, CLOSE.badProtocol, why);
      return;
    }
    if (boundHost !== null && hello.host !== boundHost) {
      core.counters.refuse('wrong_host_for_token');
      const why = `this agent's token belongs to host "${boundHost}"; it may not report as "${hello.host}"`;
      core.log.warn(`${who()}: ${why}`);
      closeWith(ws, CLOSE.badToken, why);
      return;
    }
    if (hello.intervalMs < AGENT_INTERVAL_MIN_MS || hello.intervalMs > AGENT_INTERVAL_MAX_MS) {
      core.counters.refuse('bad_interval');
      const why = `interval ${hello.intervalMs} ms is outside ${AGENT_INTERVAL_MIN_MS}..${AGENT_INTERVAL_MAX_MS} ms (--interval)`;
      core.log.warn(`${who()} (${hello.host}): ${why}`);
      closeWith(ws, CLOSE.badFrame, why);
      return;
    }
    link.instance = hello.instance;
    // Frames that arrive while the host name is claimed (a fleet asks NATS) wait for the answer.
    claiming = [];
    core
      .claimHost(link, hello, limits.goneAfterMs)
      .then((refusal) => {
        const waiting = claiming ?? [];
        claiming = null;
        if (ws.readyState !== ws.OPEN) return;
        if (refusal) {
          core.counters.refuse('duplicate_host');
          core.log.warn(`${who()}: ${refusal}`);
          closeWith(ws, CLOSE.duplicateHost, refusal);
          return;
        }
        host = hello.host;
        send({ type: 'welcome', protocol: PROTOCOL_VERSION, lastT: core.store.lastT(hello.host) });
        for (const m of waiting) handle(m.msg, m.rows);
      })
      .catch((e: Error) => {
        claiming = null;
        core.log.error(`${who()} (${hello.host}): claiming the host name failed: ${e.message}`);
        closeWith(ws, CLOSE.shuttingDown, 'the hub could not claim this host name; reconnect');
      });
  }

  /** One decoded frame, errors contained: a bug in one handler must not end the loop. */
  function handle(msg: AgentMessage, rows?: IfaceRows): void {
    try {
      onMessage(msg, rows);
    } catch (e) {
      core.counters.reject('internal_error');
      core.logOnce(
        'error',
        `agent:${host ?? remote}:internal`,
        `${who()}: handling a "${msg.type}" frame failed: ${(e as Error).stack}`,
      );
    }
  }

  function onMessage(msg: AgentMessage, rows?: IfaceRows): void {
    if (msg.type !== 'hello' && host === null) {
      bad('before_hello', `"${msg.type}" before hello`);
      closeWith(ws, CLOSE.badFrame, 'send hello first');
      return;
    }
    switch (msg.type) {
      case 'hello':
        if (host !== null) bad('unexpected_hello', 'second hello on one connection');
        else onHello(msg);
        return;
      case 'topology': {
        if (msg.topology.host !== host) {
          bad('host_mismatch', `topology of "${msg.topology.host}" on the connection of "${host}"`);
          return;
        }
        if (core.onTopology(host, msg.t, msg.topology) === 'future')
          bad('future', `topology time ${new Date(msg.t).toISOString()} is ahead of the hub's clock`);
        return;
      }
      case 'sample': {
        const r = core.onSample(host!, msg, rows);
        if (r === 'out_of_order')
          bad('out_of_order', `sample t=${msg.sample.t} is not newer than ${core.store.lastT(host!)}`);
        else if (r === 'future')
          bad('future', `sample time ${new Date(msg.sample.t).toISOString()} is ahead of the hub's clock`);
        return;
      }
      case 'keyframe':
        core.store.appendKeyframe(host!, msg.keyframe);
        return;
      case 'log':
        core.logOnce(msg.level, `agentlog:${host}:${msg.message}`, `agent ${host}: ${msg.message}`);
        return;
      case 'ping':
        send({ type: 'pong', t: msg.t });
        return;
      case 'pong':
        return;
      default: {
        const never: never = msg;
        throw new Error(`unhandled agent message ${JSON.stringify(never)}`);
      }
    }
  }

  ws.on('message', (data: RawData, isBinary: boolean) => {
    // After we decided to close (bad protocol, duplicate, too many bad frames), frames already
    // received are dropped unread.
    if (ws.readyState !== ws.OPEN) return;
    const size = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    core.counters.framesReceived += 1;
    core.counters.bytesReceived += size;
    link.lastFrameAt = Date.now();
    // Any frame proves the peer alive: under load a pong can queue behind data for a while.
    alive = true;
    throttle(size);
    if (isBinary) {
      bad('binary', 'binary frames are not part of protocol 1');
      return;
    }
    const text = data.toString();
    // A sample frame in the agent's plain form is read with its rows into buffers; any other
    // frame, or one this reading declines, is decoded as ever (sampleScan.ts).
    const scanned = scanner.scan(text);
    let msg: AgentMessage;
    if (scanned) msg = scanned.msg;
    else {
      const decoded = decodeAgentMessage(text);
      if (!decoded.ok) {
        bad(reasonOf(decoded.error), decoded.error);
        return;
      }
      msg = decoded.value;
      if (msg.type === 'sample') core.counters.sampleFramesDecoded += 1;
    }
    if (claiming !== null) {
      if (claiming.length >= MAX_FRAMES_WHILE_CLAIMING) {
        bad('invalid', `more than ${MAX_FRAMES_WHILE_CLAIMING} frames before the welcome`);
        return;
      }
      // Held past this frame: its rows may not stay in the scanner's buffer.
      claiming.push(scanned ? detach(scanned) : { msg });
      return;
    }
    handle(msg, scanned?.rows);
  });

  ws.on('pong', () => {
    alive = true;
  });

  ws.on('error', (err: Error & { code?: string }) => {
    // ws closes by itself (1009) on a frame over maxPayload, before buffering it.
    if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') bad('too_large', err.message);
    else core.logOnce('warn', `agent:${host ?? remote}:error`, `${who()}: ${err.message}`);
  });

  ws.on('close', () => {
    clearTimeout(helloTimer);
    if (resumeTimer) clearTimeout(resumeTimer);
    core.heartbeats.delete(heartbeat);
    if (host) core.agentGone(host, link);
  });

  /** Protocol-level ping every heartbeat tick; no pong since the last one means a dead peer. */
  function heartbeat(): void {
    if (!alive) {
      core.counters.refuse('heartbeat_timeout');
      core.log.warn(`${who()}: no pong to the last ping, dropping the connection`);
      ws.terminate();
      return;
    }
    alive = false;
    if (ws.readyState === ws.OPEN) ws.ping();
  }
  core.heartbeats.add(heartbeat);
}
