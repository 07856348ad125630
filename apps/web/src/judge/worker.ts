import { createJudgeEngine } from './engine.ts';
import { transferOf } from './pack.ts';
import type { JudgeRequest, JudgeResponse } from './protocol.ts';

/**
 * No zod in this worker (no auth/csp.ts either): samples and topologies are checked by hand
 * (decodeSample.ts, decodeHub.ts) and the shared judge is imported by its own paths, so the worker
 * starts without building zod's schemas on the way to the first picture (test/workerBundle.test.ts).
 *
 * The judgement off the main thread: on a big host decoding and judging a sample is most of a
 * tick's work; the UI thread only applies the answer (judge/client.ts).
 */
const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<JudgeRequest>) => void) | null;
  postMessage: (msg: JudgeResponse, transfer: Transferable[]) => void;
};

const engine = createJudgeEngine();
/**
 * How long a host's first judgement waits for its first sample (engine.ts, canWait): the samples
 * follow the topology within a UI-thread task or two; a host that sends none is judged on its
 * topology alone after this.
 */
const FIRST_SAMPLE_WAIT_MS = 300;
/**
 * Requests are taken as they come and handled together in a task queued behind them: the ones
 * already waiting (the topology and the last seconds' samples of a page opening, the frames that
 * came during a long judgement) are judged once (engine.handleAll).
 */
let queue: JudgeRequest[] = [];
let waiting: ReturnType<typeof setTimeout> | null = null;
const flush = (waitForSample: boolean) => {
  const reqs = queue;
  queue = [];
  for (const res of engine.handleAll(reqs, { waitForSample }))
    scope.postMessage(res, res.kind === 'judged' ? transferOf(res.changed) : []);
  // A host's first judgement waits for its first sample, FIRST_SAMPLE_WAIT_MS at most.
  if (engine.due() && waiting === null)
    waiting = setTimeout(() => {
      waiting = null;
      flush(false);
    }, FIRST_SAMPLE_WAIT_MS);
};
scope.onmessage = (ev) => {
  if (queue.push(ev.data) === 1) setTimeout(() => flush(true), 0);
};
