import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createJudgeEngine, FIRST_SAMPLE_WAIT_MS, type Judged } from '../src/judge/engine.ts';
import type { JudgeResponse } from '../src/judge/protocol.ts';
import { createJudgeQueue } from '../src/judge/queue.ts';
import { LAB_PATH, labSample, labTopology } from './fixtures/topo.ts';

const T0 = 1_760_000_000_000;
const frame = (t: number) =>
  JSON.stringify({ type: 'sample', host: 'lab', merged: 1, sample: labSample(t, 1000, 0) });
const topologyFrame = () => JSON.stringify({ type: 'topology', host: 'lab', t: T0, topology: labTopology() });

/** The worker's intake (judge/queue.ts) over the real engine, on vitest's fake clock. */
function start() {
  const out: JudgeResponse[] = [];
  const queue = createJudgeQueue(
    createJudgeEngine(() => Date.now()),
    (res) => out.push(res),
  );
  const judged = () => out.filter((r): r is Judged => r.kind === 'judged');
  return { queue, judged };
}

describe('judge worker intake', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('LOAD10: the first judgement waits for the first sample counted from the topology, not from the host', async () => {
    const { queue, judged } = start();
    // The entry's worker is told the host and the path at once (judge/early.ts) ...
    queue.take({ kind: 'reset', host: 'lab' });
    queue.take({ kind: 'path', from: LAB_PATH[0]!, to: LAB_PATH[7]! });
    await vi.advanceTimersByTimeAsync(FIRST_SAMPLE_WAIT_MS - 100);
    // ... the topology comes later, and its samples a moment after it.
    queue.take({ kind: 'topology-frame', host: 'lab', raw: topologyFrame() });
    await vi.advanceTimersByTimeAsync(FIRST_SAMPLE_WAIT_MS - 50);
    expect(judged()).toEqual([]);
    queue.take({ kind: 'frame', raw: frame(T0 + 1000) });
    await vi.advanceTimersByTimeAsync(FIRST_SAMPLE_WAIT_MS * 2);
    // One judgement, with the sample: the topology was not judged alone first.
    expect(judged().map((j) => j.lastT)).toEqual([T0 + 1000]);
  });

  it('LOAD10: a host that sends no sample is judged on its topology alone once the wait is over', async () => {
    const { queue, judged } = start();
    queue.take({ kind: 'reset', host: 'lab' });
    await vi.advanceTimersByTimeAsync(FIRST_SAMPLE_WAIT_MS * 2);
    queue.take({ kind: 'topology-frame', host: 'lab', raw: topologyFrame() });
    await vi.advanceTimersByTimeAsync(FIRST_SAMPLE_WAIT_MS - 10);
    expect(judged()).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(judged().map((j) => j.lastT)).toEqual([null]);
    // Judged once: the next sample is judged at once.
    queue.take({ kind: 'frame', raw: frame(T0 + 1000) });
    await vi.advanceTimersByTimeAsync(1);
    expect(judged().map((j) => j.lastT)).toEqual([null, T0 + 1000]);
  });
});
