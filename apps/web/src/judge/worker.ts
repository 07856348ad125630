// First: the hub's CSP forbids eval, so zod runs jitless (auth/csp.ts).
import '../auth/csp.ts';
import { createJudgeEngine } from './engine.ts';
import { transferOf } from './pack.ts';
import type { JudgeRequest, JudgeResponse } from './protocol.ts';

/**
 * The judgement off the main thread: on a big host decoding and judging a sample is most of a
 * tick's work; the UI thread only applies the answer (judge/client.ts).
 */
const scope = self as unknown as {
  onmessage: ((ev: MessageEvent<JudgeRequest>) => void) | null;
  postMessage: (msg: JudgeResponse, transfer: Transferable[]) => void;
};

const engine = createJudgeEngine();
/**
 * Requests are taken as they come and handled together in a task queued behind them: the ones
 * already waiting (the topology and the last seconds' samples of a page opening, the frames that
 * came during a long judgement) are judged once (engine.handleAll).
 */
let queue: JudgeRequest[] = [];
const flush = () => {
  const reqs = queue;
  queue = [];
  for (const res of engine.handleAll(reqs))
    scope.postMessage(res, res.kind === 'judged' ? transferOf(res.changed) : []);
};
scope.onmessage = (ev) => {
  if (queue.push(ev.data) === 1) setTimeout(flush, 0);
};
