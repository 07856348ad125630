import type { createJudgeEngine } from './engine.ts';
import type { JudgeRequest, JudgeResponse } from './protocol.ts';

type Engine = Pick<ReturnType<typeof createJudgeEngine>, 'handleAll' | 'waitLeft'>;

/**
 * The judge worker's intake (worker.ts), without the worker: requests are taken as they come and
 * handled together in a task queued behind them, so the ones already waiting (the topology and the
 * last seconds' samples of a page opening, the frames that came during a long judgement) are
 * judged once (engine.handleAll). A host's first judgement may wait for its first sample; the
 * engine says how long (waitLeft, counted from the topology), and a timer gives it when that is
 * over, re-armed after every batch so a wait never outlives the topology it was for.
 */
export function createJudgeQueue(engine: Engine, send: (res: JudgeResponse) => void) {
  let queue: JudgeRequest[] = [];
  let waiting: ReturnType<typeof setTimeout> | null = null;
  const flush = (waitForSample: boolean) => {
    const reqs = queue;
    queue = [];
    for (const res of engine.handleAll(reqs, { waitForSample })) send(res);
    if (waiting !== null) clearTimeout(waiting);
    waiting = null;
    const left = engine.waitLeft();
    if (left !== null)
      waiting = setTimeout(() => {
        waiting = null;
        flush(false);
      }, left);
  };
  return {
    take: (req: JudgeRequest) => {
      if (queue.push(req) === 1) setTimeout(() => flush(true), 0);
    },
  };
}
