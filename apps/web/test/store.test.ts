import { describe, expect, it } from 'vitest';
import { evaluate, type HopStat, reuseStats } from '../src/judge/evaluate.ts';
import { pinnedKey } from '../src/layout/controller.ts';
import { edgePathState, lossCountOf, worstOf } from '../src/map/selectors.ts';
import { createAppStore } from '../src/store/index.ts';
import { HISTORY_MAX_SAMPLES, JUDGE_WINDOW_SAMPLES } from '../src/store/liveSlice.ts';
import { EMPTY_STATUS_INDEX, indexStatuses, statusMoved } from '../src/store/statusIndex.ts';
import { DEFAULT_VIEW } from '../src/url/view.ts';
import { LAB_PATH, labSample, labTopology } from './fixtures/topo.ts';
import { hopStat } from './fixtures/stats.ts';
import { syntheticTopology } from './fixtures/synthetic.ts';

const T0 = 1_760_000_000_000;

function stat(status: HopStat['status'], extra: Partial<HopStat> = {}): HopStat {
  return hopStat({ status, ...extra });
}

function labStore() {
  const store = createAppStore(evaluate);
  store.getState().setHost('lab-host');
  store.getState().setTopology('lab-host', labTopology());
  return store;
}

describe('topology slice', () => {
  it('indexes interfaces and kernel edges, bumps the version', () => {
    const store = labStore();
    const s = store.getState();
    expect(s.topoVersion).toBeGreaterThan(0);
    expect(s.ifaceById.get('hwlab-qrouter-a1/qg-a1')?.peer).toBe('hwlab-node/tap-qg-a1');
    expect(s.topoEdges.some((e) => e.kind === 'veth' && e.source === 'hwlab-node/tap-qg-a1')).toBe(true);
  });

  it('ignores a topology for a host no longer watched', () => {
    const store = labStore();
    store.getState().setHost('other');
    store.getState().setTopology('lab-host', labTopology());
    expect(store.getState().topology).toBeNull();
  });

  it('collapse overrides are a new Map each time (subscribers see the change)', () => {
    const store = labStore();
    const before = store.getState().collapseOverrides;
    store.getState().setNamespaceCollapsed('hwlab-node', true);
    expect(store.getState().collapseOverrides).not.toBe(before);
    expect(store.getState().collapseOverrides.get('hwlab-node')).toBe(true);
  });

  it('MAP8: a tick that moves no status keeps every namespace status object; a loss rebuilds its own', () => {
    const big = createAppStore(evaluate);
    big.getState().setHost('synthetic-1000');
    big.getState().setTopology('synthetic-1000', syntheticTopology(1000, 100));
    const { ifaceById } = big.getState();
    const quiet = new Map([['qrouter-0009/qg', stat('ok')]]);
    const a = indexStatuses(quiet, ifaceById, EMPTY_STATUS_INDEX);
    expect(statusMoved(quiet, [['qrouter-0009/qg', { ...stat('ok'), rxPps: 5 }]], [])).toBe(false);
    expect(statusMoved(quiet, [['qrouter-0009/qg', stat('loss')]], [])).toBe(true);
    const lossy = new Map([...quiet, ['qrouter-0010/qg', stat('loss')]]);
    const b = indexStatuses(lossy, ifaceById, a);
    expect(b.nsStatus.get('qrouter-0009')).toBe(a.nsStatus.get('qrouter-0009'));
    expect(b.nsStatus.get('qrouter-0010')).toEqual({ worst: 'loss', losing: 1 });
    expect(b.alarmKey).toBe('qrouter-0010/qg');
  });
});

describe('live slice', () => {
  it('keeps samples in order, drops duplicates and late frames', () => {
    const store = labStore();
    const s = store.getState();
    s.ingestSample('lab-host', labSample(T0 + 1000, 100));
    s.ingestSample('lab-host', labSample(T0 + 2000, 100));
    s.ingestSample('lab-host', labSample(T0 + 2000, 100));
    s.ingestSample('lab-host', labSample(T0 + 1500, 100));
    s.ingestSample('other-host', labSample(T0 + 3000, 100));
    expect(store.getState().history.map((x) => x.t)).toEqual([T0 + 1000, T0 + 2000]);
  });

  it('bounds the history and never below the judgement window', () => {
    const store = labStore();
    for (let i = 1; i <= HISTORY_MAX_SAMPLES + 20; i++)
      store.getState().ingestSample('lab-host', labSample(T0 + i * 1000, 10));
    const h = store.getState().history;
    expect(h.length).toBe(HISTORY_MAX_SAMPLES);
    expect(h.at(-1)?.t).toBe(T0 + (HISTORY_MAX_SAMPLES + 20) * 1000);
    expect(store.getState().historyRows).toBe(h.reduce((n, x) => n + Object.keys(x.ifaces).length, 0));
    expect(HISTORY_MAX_SAMPLES).toBeGreaterThan(JUDGE_WINDOW_SAMPLES);
  });

  it('judges every interface of the topology after a sample', () => {
    const store = labStore();
    store.getState().ingestSample('lab-host', labSample(T0 + 1000, 100));
    const stats = store.getState().statsById;
    for (const i of labTopology().ifaces) expect(stats.has(i.id)).toBe(true);
  });

  it('a new host clears topology, history and judgement', () => {
    const store = labStore();
    store.getState().ingestSample('lab-host', labSample(T0 + 1000, 100));
    store.getState().setHost('h2');
    const s = store.getState();
    expect([s.topology, s.layout, s.path]).toEqual([null, null, null]);
    expect(s.history).toEqual([]);
    expect(s.hopHistory).toBeNull();
    expect(s.statsById.size).toBe(0);
  });

  it('MAP8: a tick that moves no status keeps every namespace status object; a loss rebuilds its own', () => {
    const big = createAppStore(evaluate);
    big.getState().setHost('synthetic-1000');
    big.getState().setTopology('synthetic-1000', syntheticTopology(1000, 100));
    const { ifaceById } = big.getState();
    const quiet = new Map([['qrouter-0009/qg', stat('ok')]]);
    const a = indexStatuses(quiet, ifaceById, EMPTY_STATUS_INDEX);
    expect(statusMoved(quiet, [['qrouter-0009/qg', { ...stat('ok'), rxPps: 5 }]], [])).toBe(false);
    expect(statusMoved(quiet, [['qrouter-0009/qg', stat('loss')]], [])).toBe(true);
    const lossy = new Map([...quiet, ['qrouter-0010/qg', stat('loss')]]);
    const b = indexStatuses(lossy, ifaceById, a);
    expect(b.nsStatus.get('qrouter-0009')).toBe(a.nsStatus.get('qrouter-0009'));
    expect(b.nsStatus.get('qrouter-0010')).toEqual({ worst: 'loss', losing: 1 });
    expect(b.alarmKey).toBe('qrouter-0010/qg');
  });
});

describe('selection slice', () => {
  it('a click fills the end being picked, otherwise selects', () => {
    const store = labStore();
    store.getState().setPicking('from');
    store.getState().clickHop('hwlab-up/wan0');
    expect(store.getState()).toMatchObject({ from: 'hwlab-up/wan0', picking: null, sel: null });
    store.getState().setPicking('to');
    store.getState().clickHop('hwlab-qrouter-a1/qg-a1');
    store.getState().clickHop('hwlab-node/br-int');
    expect(store.getState()).toMatchObject({ to: 'hwlab-qrouter-a1/qg-a1', sel: 'hwlab-node/br-int' });
  });

  it('Esc clears picking, then the selection, then the path', () => {
    const store = labStore();
    store.getState().setPath('hwlab-up/wan0', 'hwlab-qrouter-a1/qg-a1');
    store.getState().select('hwlab-node/br-int');
    store.getState().setPicking('from');
    const steps = [0, 1, 2].map(() => {
      store.getState().clearStep();
      const s = store.getState();
      return [s.picking, s.sel, s.from];
    });
    expect(steps).toEqual([
      [null, 'hwlab-node/br-int', 'hwlab-up/wan0'],
      [null, null, 'hwlab-up/wan0'],
      [null, null, null],
    ]);
  });

  it('applies a view from the URL, resetting host data only when the host changes', () => {
    const store = labStore();
    store.getState().applyView({ ...DEFAULT_VIEW, host: 'lab-host', sel: 'hwlab-node/eno1' });
    expect(store.getState().topology).not.toBeNull();
    expect(store.getState().sel).toBe('hwlab-node/eno1');
    store.getState().applyView({ ...DEFAULT_VIEW, host: 'h2', from: 'a', to: 'b' });
    expect(store.getState()).toMatchObject({ host: 'h2', from: 'a', to: 'b', topology: null });
  });

  it('selecting a hop computes its history for the detail panel', () => {
    const store = labStore();
    for (const k of [1, 2, 3]) store.getState().ingestSample('lab-host', labSample(T0 + k * 1000, 100 * k));
    store.getState().select('hwlab-node/br-int');
    const h = store.getState().hopHistory;
    expect(h?.id).toBe('hwlab-node/br-int');
    expect(h?.series.rxPps).toEqual([100, 200, 300]);
    expect(h?.counters[1]).toBe(600);
    store.getState().select(null);
    expect(store.getState().hopHistory).toBeNull();
  });

  it('reveal selects and asks the canvas to bring the hop into view, each time', () => {
    const store = labStore();
    store.getState().reveal('hwlab-node/eno1');
    const first = store.getState().focus;
    store.getState().reveal('hwlab-node/eno1');
    expect(store.getState().sel).toBe('hwlab-node/eno1');
    expect(store.getState().focus?.seq).toBe((first?.seq ?? 0) + 1);
  });

  it('MAP8: a tick that moves no status keeps every namespace status object; a loss rebuilds its own', () => {
    const big = createAppStore(evaluate);
    big.getState().setHost('synthetic-1000');
    big.getState().setTopology('synthetic-1000', syntheticTopology(1000, 100));
    const { ifaceById } = big.getState();
    const quiet = new Map([['qrouter-0009/qg', stat('ok')]]);
    const a = indexStatuses(quiet, ifaceById, EMPTY_STATUS_INDEX);
    expect(statusMoved(quiet, [['qrouter-0009/qg', { ...stat('ok'), rxPps: 5 }]], [])).toBe(false);
    expect(statusMoved(quiet, [['qrouter-0009/qg', stat('loss')]], [])).toBe(true);
    const lossy = new Map([...quiet, ['qrouter-0010/qg', stat('loss')]]);
    const b = indexStatuses(lossy, ifaceById, a);
    expect(b.nsStatus.get('qrouter-0009')).toBe(a.nsStatus.get('qrouter-0009'));
    expect(b.nsStatus.get('qrouter-0010')).toEqual({ worst: 'loss', losing: 1 });
    expect(b.alarmKey).toBe('qrouter-0010/qg');
  });
});

describe('selectors', () => {
  it('reuseStats keeps the object of every unchanged hop, so only changed hops re-render', () => {
    const prev = new Map([
      ['a', stat('ok', { rxPps: 10 })],
      ['b', stat('ok', { rxPps: 20 })],
    ]);
    const next = reuseStats(
      prev,
      new Map([
        ['a', stat('ok', { rxPps: 10 })],
        ['b', stat('loss', { rxPps: 20, drops: 3 })],
        ['c', stat('idle')],
      ]),
    );
    expect(next.get('a')).toBe(prev.get('a'));
    expect(next.get('b')).not.toBe(prev.get('b'));
    expect(next).not.toBe(prev);
  });

  it('edgePathState lights consecutive hops and marks the edge into a loss hop', () => {
    const store = labStore();
    store.setState({
      path: LAB_PATH,
      statsById: new Map([['hwlab-qrouter-a1/qg-a1', stat('loss')]]),
    });
    const s = store.getState();
    expect(edgePathState(s, 'hwlab-up/wan0', 'hwlab-node/eno1')).toBe('on');
    expect(edgePathState(s, 'hwlab-node/eno1', 'hwlab-up/wan0')).toBe('on');
    expect(edgePathState(s, 'hwlab-node/tap-qg-a1', 'hwlab-qrouter-a1/qg-a1')).toBe('loss');
    expect(edgePathState(s, 'hwlab-up/wan0', 'hwlab-node/br-ex')).toBe('off');
    expect(edgePathState(s, 'hwlab-node/br-int', 'hwlab-node/tap-qg-b2')).toBe('off');
  });

  it('worstOf and lossCountOf summarise a namespace', () => {
    const stats = new Map([
      ['a', stat('ok')],
      ['b', stat('loss')],
      ['c', stat('warn')],
    ]);
    expect(worstOf(['a', 'c'], stats)).toBe('warn');
    expect(worstOf(['a', 'b', 'c', 'gone'], stats)).toBe('loss');
    expect(worstOf([], stats)).toBe('idle');
    expect(lossCountOf(['a', 'b', 'c'], stats)).toBe(1);
  });

  it('pinnedKey is empty on small hosts and lists path and loss hops inside collapsed namespaces', () => {
    const lab = labStore();
    lab.setState({ path: LAB_PATH });
    expect(pinnedKey(lab.getState())).toBe('');

    const big = createAppStore(evaluate);
    big.getState().setHost('synthetic-1000');
    big.getState().setTopology('synthetic-1000', syntheticTopology(1000, 100));
    const statsById = new Map([
      ['qrouter-0009/qg', stat('loss')],
      ['qrouter-0010/qg', stat('ok')],
    ]);
    big.setState({
      from: 'tap3-0',
      statsById,
      statusIndex: indexStatuses(statsById, big.getState().ifaceById, EMPTY_STATUS_INDEX),
    });
    expect(pinnedKey(big.getState()).split('\n')).toEqual(['qrouter-0009/qg', 'tap3-0']);
  });

  it('MAP8: a tick that moves no status keeps every namespace status object; a loss rebuilds its own', () => {
    const big = createAppStore(evaluate);
    big.getState().setHost('synthetic-1000');
    big.getState().setTopology('synthetic-1000', syntheticTopology(1000, 100));
    const { ifaceById } = big.getState();
    const quiet = new Map([['qrouter-0009/qg', stat('ok')]]);
    const a = indexStatuses(quiet, ifaceById, EMPTY_STATUS_INDEX);
    expect(statusMoved(quiet, [['qrouter-0009/qg', { ...stat('ok'), rxPps: 5 }]], [])).toBe(false);
    expect(statusMoved(quiet, [['qrouter-0009/qg', stat('loss')]], [])).toBe(true);
    const lossy = new Map([...quiet, ['qrouter-0010/qg', stat('loss')]]);
    const b = indexStatuses(lossy, ifaceById, a);
    expect(b.nsStatus.get('qrouter-0009')).toBe(a.nsStatus.get('qrouter-0009'));
    expect(b.nsStatus.get('qrouter-0010')).toEqual({ worst: 'loss', losing: 1 });
    expect(b.alarmKey).toBe('qrouter-0010/qg');
  });
});
