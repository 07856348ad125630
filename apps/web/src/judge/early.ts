import { type SampleFrame, SAMPLE_FRAME_PREFIX, TOPOLOGY_FRAME_PREFIX } from '../connection/socket.ts';
import { type JudgeRequest, type JudgeResponse, postFrame } from './protocol.ts';

/**
 * Sample frames the early judge takes before the app adopts it. Its answers wait for the app
 * (adopt) and cannot be thinned (each says what changed since the one before), so past this the
 * frames stay held by the socket (itself bounded) and reach the worker through the app, in order.
 */
const MAX_EARLY_SAMPLES = 60;

/** What the early judge was told, so the app's judge client does not say it again. */
export interface EarlyState {
  host?: string | null;
  /** `from\nto`, as the judge client keys the path. */
  path?: string;
  /** The topology frame it was given (the same string the app takes from the socket), or null. */
  topologyRaw?: string | null;
}

/**
 * The judge worker, started by the page's entry (connection/early.ts) beside the socket, before
 * the app's bundle is fetched: the worker boots (its chunk, zod's schemas) and judges the URL's
 * host from the frames the socket holds while the app is still being fetched and evaluated.
 * The first picture waits for the first judged sample (the map is framed on the loss); judged
 * after the app started, it came 1–1.5 s after the map's nodes (bench/firstPicture.ts).
 * The app's judge client (judge/client.ts) adopts the worker and the answers it gave meanwhile.
 */
export interface EarlyJudge {
  worker: Worker;
  /**
   * Offered each frame the early socket holds: sample frames go to the worker and are taken
   * (true: the socket does not hold them for the app, they are the judge's only); a topology frame
   * goes to it too and stays held (false), since the app needs it as well.
   */
  feed: (raw: SampleFrame) => boolean;
  /** Hands the worker over: what it was told, and its answers so far (then the caller's). */
  adopt: () => { worker: Worker; told: EarlyState | null; answers: JudgeResponse[]; samples: number };
}

/** null when this browser cannot start a module worker (the app then judges in place). */
export function startEarlyJudge(view: { host: string | null; from: string | null; to: string | null }) {
  let worker: Worker;
  try {
    worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  } catch {
    return null;
  }
  const answers: JudgeResponse[] = [];
  worker.onmessage = (ev: MessageEvent<JudgeResponse>) => answers.push(ev.data);
  const post = (req: JudgeRequest) => worker.postMessage(req);
  // No live host in the URL (a replay link, or the host is chosen later): the worker only boots.
  const host = view.host;
  const told: EarlyState | null =
    host === null ? null : { host, path: `${view.from ?? ''}\n${view.to ?? ''}`, topologyRaw: null };
  let adopted = false;
  let fed = 0;
  if (host !== null) {
    post({ kind: 'reset', host });
    post({ kind: 'path', from: view.from, to: view.to });
  }
  const early: EarlyJudge = {
    worker,
    feed: (raw) => {
      if (told === null || adopted) return false;
      // A binary frame is a sample frame (the hub sends samples so when asked, and nothing else).
      if (typeof raw !== 'string' || raw.startsWith(SAMPLE_FRAME_PREFIX)) {
        if (fed >= MAX_EARLY_SAMPLES) return false;
        fed += 1;
        postFrame(worker, raw);
        return true;
      }
      // The first topology only: a second one (an agent restart) is the app's to send.
      if (host !== null && told.topologyRaw === null && raw.startsWith(TOPOLOGY_FRAME_PREFIX)) {
        told.topologyRaw = raw;
        post({ kind: 'topology-frame', host, raw });
      }
      return false;
    },
    adopt: () => {
      adopted = true;
      worker.onmessage = null;
      return { worker, told, answers: answers.splice(0), samples: fed };
    },
  };
  return early;
}
