import { evaluate } from '../src/judge/evaluate.ts';
import { describe, expect, it } from 'vitest';
import { createJudgeEngine, type Judged } from '../src/judge/engine.ts';
import { unpackStats } from '../src/judge/pack.ts';
import type { JudgeRequest } from '../src/judge/protocol.ts';
import { createAppStore } from '../src/store/index.ts';
import { LAB_PATH, labSample, labTopology } from './fixtures/topo.ts';

const T0 = 1_760_000_000_000;
const frame = (host: string, t: number, drops = 0) =>
  JSON.stringify({ type: 'sample', host, merged: 1, sample: labSample(t, 1000, drops) });

function judged(res: ReturnType<ReturnType<typeof createJudgeEngine>['handle']>): Judged {
  const j = res.find((r) => r.kind === 'judged');
  if (j === undefined || j.kind !== 'judged') throw new Error('no judgement');
  return j;
}

describe('judge worker engine', () => {
  it('decodes frames, judges the window and answers only what changed', () => {
    const e = createJudgeEngine();
    e.handle({ kind: 'reset', host: 'lab' });
    const first = judged(e.handle({ kind: 'topology', host: 'lab', topology: labTopology('backlog') }));
    expect(first.changed.ids.length).toBe(labTopology().ifaces.length);
    const a = judged(e.handle({ kind: 'frame', raw: frame('lab', T0 + 1000) }));
    expect(a.lastT).toBe(T0 + 1000);
    const touched = new Set(a.changed.ids);
    expect(touched.has('hwlab-node/br-int')).toBe(true);
    expect(touched.has('hwlab-qrouter-b2/qg-b2')).toBe(false); // idle before, idle now
    const b = judged(e.handle({ kind: 'frame', raw: frame('lab', T0 + 2000, 40) }));
    expect(unpackStats(b.changed).find(([id]) => id === 'hwlab-qrouter-a1/qg-a1')?.[1].status).toBe('loss');
    expect(b.findings?.some((f) => f.rule === 'R01')).toBe(true);
  });

  it('LOAD6: requests that arrive together are judged once, as the last of them alone would be', () => {
    const one = createJudgeEngine();
    const all = createJudgeEngine();
    const reqs: JudgeRequest[] = [
      { kind: 'reset', host: 'lab' },
      { kind: 'path', from: LAB_PATH[0]!, to: LAB_PATH[7]! },
      { kind: 'topology', host: 'lab', topology: labTopology('backlog') },
      { kind: 'watch', ids: null },
      ...[1, 2, 3, 4].map((k) => ({ kind: 'frame' as const, raw: frame('lab', T0 + k * 1000, k * 10) })),
      { kind: 'frame', raw: '{"type":"sample"' },
    ];
    // Step by step: every answer applied in turn, as the store does.
    const held = new Map<string, unknown>();
    let last: Judged | undefined;
    for (const r of reqs)
      for (const x of one.handle(r))
        if (x.kind === 'judged') {
          for (const [id, st] of unpackStats(x.changed)) held.set(id, st);
          last = x;
        }
    const batch = all.handleAll(reqs);
    expect(batch.map((r) => r.kind)).toEqual(['bad-frame', 'judged']);
    const j = judged(batch);
    expect(new Map(unpackStats(j.changed))).toEqual(held);
    expect(j.changed.ids.length).toBe(labTopology().ifaces.length);
    for (const k of ['lastT', 'path', 'pathError', 'windowSeconds', 'findings'] as const)
      expect(j[k], k).toEqual(last![k]);
    expect(j.findings?.some((f) => f.rule === 'R01')).toBe(true);
    // A reset drops the judgement due for the host before it.
    expect(
      all.handleAll([
        { kind: 'frame', raw: frame('lab', T0 + 5000) },
        { kind: 'reset', host: 'x' },
      ]),
    ).toEqual([]);
  });

  it("LOAD6: a host's first judgement may wait for its first sample; without one it is given on request", () => {
    const e = createJudgeEngine();
    const wait = { waitForSample: true };
    expect(
      e.handleAll(
        [
          { kind: 'reset', host: 'lab' },
          { kind: 'topology', host: 'lab', topology: labTopology() },
        ],
        wait,
      ),
    ).toEqual([]);
    expect(e.due()).toBe(true);
    const j = judged(e.handleAll([{ kind: 'frame', raw: frame('lab', T0 + 1000) }], wait));
    expect(j.lastT).toBe(T0 + 1000);
    expect(e.due()).toBe(false);
    // Judged once: a path change (no new sample) is judged at once.
    expect(judged(e.handleAll([{ kind: 'path', from: LAB_PATH[0]!, to: LAB_PATH[7]! }], wait)).path).toEqual(
      LAB_PATH,
    );
    // A host without samples: held, then judged on its topology alone when the wait is over.
    expect(
      e.handleAll(
        [
          { kind: 'reset', host: 'lab' },
          { kind: 'topology', host: 'lab', topology: labTopology() },
        ],
        wait,
      ),
    ).toEqual([]);
    expect(judged(e.handleAll([])).lastT).toBeNull();
  });

  it('keeps the history and answers the selected hop with every judgement', () => {
    const e = createJudgeEngine();
    e.handle({ kind: 'reset', host: 'lab' });
    e.handle({ kind: 'topology', host: 'lab', topology: labTopology() });
    const sel = e.handle({ kind: 'select', id: 'hwlab-node/br-int' })[0];
    expect(sel).toMatchObject({ kind: 'hop', hop: { id: 'hwlab-node/br-int' } });
    for (const k of [1, 2, 3]) e.handle({ kind: 'frame', raw: frame('lab', T0 + k * 1000) });
    const j = judged(e.handle({ kind: 'frame', raw: frame('lab', T0 + 4000) }));
    expect(j.hop?.series.rxPps).toEqual([1000, 1000, 1000, 1000]);
  });

  it('packs stats losslessly (statuses, null path index, rules)', () => {
    const e = createJudgeEngine();
    e.handle({ kind: 'reset', host: 'lab' });
    e.handle({ kind: 'topology', host: 'lab', topology: labTopology('backlog') });
    e.handle({ kind: 'path', from: LAB_PATH[0]!, to: LAB_PATH[7]! });
    const j = judged(e.handle({ kind: 'frame', raw: frame('lab', T0 + 1000, 30) }));
    const stats = new Map(unpackStats(j.changed));
    expect(stats.get('hwlab-qrouter-a1/qg-a1')).toMatchObject({ status: 'loss', pathIndex: 8 });
    expect(stats.get('hwlab-qrouter-a1/qg-a1')?.rules).toContain('R01');
    expect(stats.get('hwlab-node/br-tenant')?.pathIndex ?? 'none').toBe('none');
  });

  it('seeds the history from a recording body, merged in time order with live samples', () => {
    const e = createJudgeEngine();
    e.handle({ kind: 'reset', host: 'lab' });
    e.handle({ kind: 'topology', host: 'lab', topology: labTopology() });
    e.handle({ kind: 'select', id: 'hwlab-node/br-int' });
    e.handle({ kind: 'frame', raw: frame('lab', T0 + 5000) });
    const recording = {
      host: 'lab',
      samples: [1, 2, 3, 5].map((k) => labSample(T0 + k * 1000, 100 * k)).concat([{ bad: true } as never]),
    };
    const j = judged(e.handle({ kind: 'seed', host: 'lab', raw: JSON.stringify(recording) }));
    expect(j.hop?.series.rxPps).toEqual([100, 200, 300, 1000]);
    expect(j.lastT).toBe(T0 + 5000);
    expect(e.handle({ kind: 'seed', host: 'lab', raw: '<html>' })[0]?.kind).toBe('bad-frame');
  });

  it('drops late frames, other hosts and bad frames (counted), never throws', () => {
    const e = createJudgeEngine();
    e.handle({ kind: 'reset', host: 'lab' });
    e.handle({ kind: 'topology', host: 'lab', topology: labTopology() });
    judged(e.handle({ kind: 'frame', raw: frame('lab', T0 + 2000) }));
    expect(e.handle({ kind: 'frame', raw: frame('lab', T0 + 1000) })).toEqual([]);
    expect(e.handle({ kind: 'frame', raw: frame('other', T0 + 3000) })).toEqual([]);
    expect(e.handle({ kind: 'frame', raw: '{"type":"sample","host":"lab"' })[0]?.kind).toBe('bad-frame');
  });

  it('numbers the path when from/to arrive, and its answer applies to the store', () => {
    const e = createJudgeEngine();
    const store = createAppStore(evaluate);
    store.setState({ judgeExternally: true });
    store.getState().setHost('lab');
    e.handle({ kind: 'reset', host: 'lab' });
    store
      .getState()
      .applyJudgement(judged(e.handle({ kind: 'topology', host: 'lab', topology: labTopology() })));
    store.getState().applyJudgement(judged(e.handle({ kind: 'frame', raw: frame('lab', T0 + 1000) })));
    const before = store.getState().statsById;
    store.getState().applyJudgement(judged(e.handle({ kind: 'path', from: LAB_PATH[0]!, to: LAB_PATH[7]! })));
    const s = store.getState();
    expect(s.path).toEqual(LAB_PATH);
    expect(s.lastT).toBe(T0 + 1000);
    expect(s.statsById.get(LAB_PATH[7]!)?.pathIndex).toBe(8);
    // Off the path nothing changed: those hops keep their objects (no re-render).
    expect(s.statsById.get('hwlab-qrouter-b2/qg-b2')).toBe(before.get('hwlab-qrouter-b2/qg-b2'));
  });

  it('RPK7: findings are compared in the worker: unchanged ones go as null; append judges like frames', () => {
    const e = createJudgeEngine();
    e.handle({ kind: 'reset', host: 'lab' });
    e.handle({ kind: 'topology', host: 'lab', topology: labTopology('backlog') });
    const a = judged(e.handle({ kind: 'append', host: 'lab', samples: [labSample(T0 + 1000, 1000, 40)] }));
    expect(a.lastT).toBe(T0 + 1000);
    expect(a.findings?.some((f) => f.rule === 'R01')).toBe(true);
    // Two quiet windows in a row: the same (no) findings, sent once.
    judged(e.handle({ kind: 'window', host: 'lab', samples: [labSample(T0 + 1000, 1000, 0)] }));
    const b = judged(e.handle({ kind: 'frame', raw: frame('lab', T0 + 2000, 0) }));
    expect(b.findings).toBeNull();
    // A new window: the UI cleared its judgement, so the findings come again.
    const c = judged(e.handle({ kind: 'window', host: 'lab', samples: [labSample(T0 + 1000, 1000, 40)] }));
    expect(c.findings?.length).toBeGreaterThan(0);
  });
});

describe('judge worker engine, what it sends', () => {
  it('MAP9: hops not drawn with numbers are sent only when their status moves; watched ones every change', () => {
    const e = createJudgeEngine();
    e.handle({ kind: 'reset', host: 'lab' });
    e.handle({ kind: 'topology', host: 'lab', topology: labTopology('backlog') });
    e.handle({ kind: 'watch', ids: ['hwlab-node/br-int'] });
    judged(e.handle({ kind: 'frame', raw: frame('lab', T0 + 1000) }));
    // Same statuses, other numbers: only the watched hop goes.
    const quiet = judged(
      e.handle({
        kind: 'frame',
        raw: JSON.stringify({
          type: 'sample',
          host: 'lab',
          merged: 1,
          sample: labSample(T0 + 2000, 1500, 0),
        }),
      }),
    );
    expect(quiet.changed.ids).toEqual(['hwlab-node/br-int']);
    // A loss: the hop's status moves, so it goes although nobody watches it.
    const loss = judged(e.handle({ kind: 'frame', raw: frame('lab', T0 + 3000, 40) }));
    expect(loss.changed.ids).toContain('hwlab-qrouter-a1/qg-a1');
    // Watching it later sends its current numbers at once.
    const w = judged(e.handle({ kind: 'watch', ids: null }));
    expect(w.changed.ids.length).toBeGreaterThan(1);
  });
});
