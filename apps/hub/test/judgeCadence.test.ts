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

  it('JUDGE3: past the budget a watched host is judged before hosts nobody watches, however overdue', () => {
    let now = T0;
    const store = openStore(':memory:', { autoPump: false, now: () => now });
    const core = new HubCore(store, silentLogger, createOnceLogger(silentLogger), () => now);
    opened.push({ store, core });
    const rows = (lossy: boolean) => ({
      'veth-a': row({ txPackets: 100, txDropped: lossy ? 9 : 0 }),
      'ns1/veth-b': row({ rxPackets: lossy ? 91 : 100 }),
    });
    const send = (host: string, t: number, lossy: boolean) =>
      core.onSample(host, { type: 'sample', seq: 0, backfill: false, sample: makeSample(t, rows(lossy)) });
    for (const host of ['idle-1', 'idle-2', 'seen']) core.onTopology(host, T0, makeTopology(host));
    now = T0 + 1000;
    for (const host of ['idle-1', 'idle-2', 'seen']) send(host, now, false);
    core.refreshJudgements(Number.POSITIVE_INFINITY);
    core.bus.watch('seen', { topology() {}, sample() {} });
    // Every host changed; the two nobody watches are overdue (judged 11 s ago), the watched one not.
    now = T0 + 12_000;
    for (const host of ['idle-1', 'idle-2', 'seen']) send(host, now, true);
    core.refreshJudgements(0);
    const worst = (host: string) => core.localSummaries().find((h) => h.host === host)?.worst;
    expect(worst('seen')).toBe('loss');
    expect([worst('idle-1'), worst('idle-2')]).toEqual(['ok', 'ok']);
  });
});
