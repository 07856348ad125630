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
scope.onmessage = (ev) => {
  for (const res of engine.handle(ev.data))
    scope.postMessage(res, res.kind === 'judged' ? transferOf(res.changed) : []);
};
