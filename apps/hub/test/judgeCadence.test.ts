import { afterEach, describe, expect, it } from 'vitest';
import { HubCore, UNWATCHED_JUDGE_EVERY_MS } from '../src/core.ts';
import { createOnceLogger, silentLogger } from '../src/log.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';

const T0 = 1_700_000_000_000;
const opened: { store: Store; core: HubCore }[] = [];
afterEach(() => {
  for (const { store, core } of opened.splice(0)) {
    core.stop();
    store.close();
  }
});

function hub() {
  let now = T0;
  const store = openStore(':memory:', { autoPump: false, now: () => now });
  const core = new HubCore(store, silentLogger, createOnceLogger(silentLogger), () => now);
  opened.push({ store, core });
  core.onTopology('h1', T0, makeTopology('h1'));
  let t = T0;
  const send = (lossy: boolean) => {
    t += 1000;
    now = t;
    const rows = {
      'veth-a': row({ txPackets: 100, txDropped: lossy ? 9 : 0 }),
      'ns1/veth-b': row({ rxPackets: lossy ? 91 : 100 }),
    };
    expect(
      core.onSample('h1', { type: 'sample', seq: 0, backfill: false, sample: makeSample(t, rows) }),
    ).toBe('ok');
  };
  const worst = () => {
    core.refreshJudgements(Number.POSITIVE_INFINITY);
    return core.localSummaries().find((h) => h.host === 'h1')?.worst;
  };
  const advance = (ms: number) => {
    now += ms;
  };
  return { core, send, worst, advance };
}

describe('judging cadence (issue 12)', () => {
  it('JUDGE1: a host nobody watches is judged at once, then at most every UNWATCHED_JUDGE_EVERY_MS', () => {
    const h = hub();
    h.send(true);
    expect(h.worst()).toBe('loss');
    h.send(false);
    // Not due yet: the host list keeps the last judgement.
    expect(h.worst()).toBe('loss');
    h.advance(UNWATCHED_JUDGE_EVERY_MS);
    expect(h.worst()).toBe('ok');
  });

  it('JUDGE2: a watched host is judged whenever its latest sample changed', () => {
    const h = hub();
    h.core.bus.watch('h1', { topology() {}, sample() {} });
    h.send(true);
    expect(h.worst()).toBe('loss');
    h.send(false);
    expect(h.worst()).toBe('ok');
    h.send(true);
    expect(h.worst()).toBe('loss');
  });
});
