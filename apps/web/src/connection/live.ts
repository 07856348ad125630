import type { HubToUiMessage } from '@hopwatch/shared';
import type { JudgeClient } from '../judge/client.ts';
import { selectLiveHost, selectReplayActive } from '../replay/replaySlice.ts';
import type { AppStore } from '../store/index.ts';
import { HubSocket } from './socket.ts';

/** Marks read by the bench (performance entries cost nothing when nobody reads them). */
export const MARK_SAMPLE = 'hopwatch:sample';

export function hubSocketUrl(loc: Location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/ws/ui`;
}

/**
 * Wires the hub socket to the store: messages in, subscription out. The only module that knows
 * the socket exists; components read the store.
 */
export function startLive(store: AppStore, url: string, judge: JudgeClient | null): () => void {
  const socket = new HubSocket({
    url,
    onBadFrame: () => store.getState().countBadFrame(),
    // A frame still in flight when replay began must not land in the replayed window.
    ...(judge !== null
      ? {
          onSampleFrame: (raw: string) => {
            if (!selectReplayActive(store.getState())) judge.frame(raw);
          },
        }
      : {}),
  });
  const offStatus = socket.onStatus((status) => store.getState().setConnection(status));
  const offMessage = socket.onMessage((msg) => handle(store, msg));
  // Replaying: watch nothing live (selectLiveHost is null), so no frame fights the replay.
  const offHost = store.subscribe(selectLiveHost, (host) => socket.subscribe(host === null ? [] : [host]), {
    fireImmediately: true,
  });
  socket.start();
  return () => {
    offHost();
    offMessage();
    offStatus();
    socket.stop();
  };
}

export function handle(store: AppStore, msg: HubToUiMessage): void {
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
