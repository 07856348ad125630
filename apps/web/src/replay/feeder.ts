import type { Sample } from '@hopwatch/shared';
import type { JudgeRequest } from '../judge/protocol.ts';
import { HISTORY_MAX_SAMPLES } from '../judge/history.ts';

/** Playing forward, up to this many new samples are appended; more is a jump: resend the window. */
export const MAX_APPENDED_SAMPLES = 30;

/** What the judge worker holds: lets forward playback append samples instead of resending. */
interface Fed {
  host: string;
  topoT: number | null;
  lastT: number;
  len: number;
}

export interface Feeder {
  /**
   * Hand the history up to the playhead to the judge. Playing forward, only the new samples go
   * (`append`, as the live socket's frames would); anything else (a seek, a step back, another
   * topology) replaces the judge's history with a `window`.
   */
  feed: (host: string, topoT: number | null, history: readonly Sample[], playing: boolean) => void;
  /** Forget what the judge holds (another host, back to live). */
  reset: () => void;
}

/** The replay → judge feed, alone: `post` is the judge client's (a worker or a test's list). */
export function createFeeder(post: (req: JudgeRequest) => void): Feeder {
  let fed: Fed | null = null;
  return {
    feed(host, topoT, history, playing) {
      const lastT = history.at(-1)?.t ?? Number.NEGATIVE_INFINITY;
      const same = fed !== null && fed.host === host && fed.topoT === topoT;
      if (same && fed !== null && lastT === fed.lastT) {
        // Only older history arrived (sparklines): worth a resend when paused, not while playing.
        if (playing || history.length <= fed.len) return;
      } else if (same && fed !== null && lastT > fed.lastT) {
        const lastFed = fed.lastT;
        const from = history.findIndex((x) => x.t === lastFed);
        const newer = from < 0 ? [] : history.slice(from + 1);
        if (from >= 0 && newer.length <= MAX_APPENDED_SAMPLES) {
          post({ kind: 'append', host, samples: newer });
          fed = { host, topoT, lastT, len: Math.min(HISTORY_MAX_SAMPLES, fed.len + newer.length) };
          return;
        }
      }
      post({ kind: 'window', host, samples: [...history] });
      fed = { host, topoT, lastT, len: history.length };
    },
    reset() {
      fed = null;
    },
  };
}
