import { createJudgeEngine } from './engine.ts';
import { transferOf } from './pack.ts';
import type { JudgeRequest, JudgeResponse } from './protocol.ts';
import { createJudgeQueue } from './queue.ts';

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

const queue = createJudgeQueue(createJudgeEngine(), (res) =>
  scope.postMessage(res, res.kind === 'judged' ? transferOf(res.changed) : []),
);
scope.onmessage = (ev) => queue.take(ev.data);
