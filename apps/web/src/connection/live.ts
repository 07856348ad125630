import type { HubToUiMessage } from '@hopwatch/shared';
import type { HubFrame } from './decodeHub.ts';
import type { JudgeClient } from '../judge/client.ts';
import { selectLiveHost, selectReplayActive } from '../replay/replaySlice.ts';
import type { AppStore } from '../store/index.ts';
import type { HubSocket, SampleFrame } from './socket.ts';

/** Marks read by the bench (performance entries cost nothing when nobody reads them). */
export const MARK_SAMPLE = 'hopwatch:sample';

/**
 * Wires the hub socket to the store: messages in, subscription out. The only module that knows
 * the socket exists; components read the store. Takes a socket opened early and holding its
 * frames (connection/early.ts).
 */
export function startLive(store: AppStore, socket: HubSocket, judge: JudgeClient | null): () => void {
  const handlers = {
    onBadFrame: () => store.getState().countBadFrame(),
    // A frame still in flight when replay began must not land in the replayed window.
    onSampleFrame:
      judge !== null
        ? (raw: SampleFrame) => {
            if (!selectReplayActive(store.getState())) judge.frame(raw);
          }
        : judgeInPlace(store),
  };
  const offStatus = socket.onStatus((status) => store.getState().setConnection(status));
  store.getState().setConnection(socket.status);
  const offMessage = socket.onMessage((msg, raw) => {
    // The worker takes the topology as the frame's text (copying a string is cheap, cloning a
    // 3000-interface object graph is not) and checks it itself.
    if (msg.type === 'topology') judge?.topologyFrame(msg.topology, raw);
    handle(store, msg);
  });
  // Replaying: watch nothing live (selectLiveHost is null), so no frame fights the replay.
  const offHost = store.subscribe(selectLiveHost, (host) => socket.subscribe(host === null ? [] : [host]), {
    fireImmediately: true,
  });
  // Frames held since the socket opened are taken now, in order, then the live ones.
  socket.release(handlers);
  socket.start();
  return () => {
    offHost();
    offMessage();
    offStatus();
    socket.stop();
  };
}

/**
 * No worker: sample frames are decoded and judged on this thread by code loaded for it (the
 * judge and zod stay out of the first bundle); frames that come before it are kept in order.
 */
function judgeInPlace(store: AppStore): (raw: SampleFrame) => void {
  let take: ((raw: SampleFrame) => void) | null = null;
  const early: SampleFrame[] = [];
  import('../judge/inPlace.ts').then(
    (m) => {
      store.getState().setEvaluateInPlace(m.evaluate);
      take = (raw) => {
        const r = m.decodeSampleFrame(raw);
        if (r.ok) handle(store, r.value);
        else store.getState().countBadFrame();
      };
      for (const raw of early.splice(0)) take(raw);
    },
    (e: unknown) => {
      // Samples then go unjudged (the map and the socket work on); nothing is kept for them.
      console.warn(`hopwatch: the in-page judge could not be loaded: ${(e as Error)?.message ?? e}`);
      take = () => {};
      early.length = 0;
    },
  );
  // Until it loads (a moment), the latest frames in order; a minute of them at most.
  return (raw) => {
    if (take !== null) return take(raw);
    if (early.push(raw) > MAX_EARLY_SAMPLES) early.shift();
  };
}

/** Sample frames kept for the in-page judge while its code loads. */
const MAX_EARLY_SAMPLES = 60;

export function handle(store: AppStore, msg: HubFrame | HubToUiMessage): void {
  const s = store.getState();
  switch (msg.type) {
    case 'hosts': {
      s.setHosts(msg.hosts);
      // Nothing chosen yet and exactly one machine: show it (npm start on a laptop).
      const only = msg.hosts.length === 1 ? msg.hosts[0] : undefined;
      if (s.host === null && only !== undefined) s.setHost(only.host);
      return;
    }
    case 'topology':
      // In replay the topology is the recorded one; the hub resends the live one on return.
      if (!selectReplayActive(s)) s.setTopology(msg.host, msg.topology);
      return;
    case 'sample': {
      if (selectReplayActive(s)) return;
      const t0 = performance.now();
      s.ingestSample(msg.host, msg.sample);
      performance.measure(MARK_SAMPLE, { start: t0, end: performance.now() });
      return;
    }
    case 'error':
      s.setHubError(`${msg.code}: ${msg.message}`);
      return;
    case 'diagnosis':
      // The browser judges for itself from the same shared code; a pushed diagnosis adds nothing.
      return;
    case 'pong':
      return;
    default: {
      const never: never = msg;
      throw new Error(`unhandled hub message ${(never as { type: string }).type}`);
    }
  }
}
