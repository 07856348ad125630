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

/** A hub core on a fake clock with `hosts` (two interfaces each, a veth pair) and helpers. */
function hub(hosts: readonly string[] = ['h1']) {
  let now = T0;
  const store = openStore(':memory:', { autoPump: false, now: () => now });
  const core = new HubCore(store, silentLogger, createOnceLogger(silentLogger), () => now);
  opened.push({ store, core });
  for (const host of hosts) core.onTopology(host, T0, makeTopology(host));
  let t = T0;
  /** One sample to every host, stepMs after the last: with loss on the veth, or without. */
  const send = (lossy: boolean, stepMs = 1000) => {
    t += stepMs;
    now = t;
    const rows = {
      'veth-a': row({ txPackets: 100, txDropped: lossy ? 9 : 0 }),
      'ns1/veth-b': row({ rxPackets: lossy ? 91 : 100 }),
    };
    for (const host of hosts)
      expect(
        core.onSample(host, { type: 'sample', seq: 0, backfill: false, sample: makeSample(t, rows) }),
      ).toBe('ok');
  };
  /** The host list's verdict as it stands, without judging. */
  const shown = (host = 'h1') => core.localSummaries().find((h) => h.host === host)?.worst;
  /** The verdict once every due host is judged. */
  const worst = () => {
    core.refreshJudgements(Number.POSITIVE_INFINITY);
    return shown();
  };
  const advance = (ms: number) => {
    now += ms;
  };
  return { core, send, shown, worst, advance };
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
    const h = hub(['idle-1', 'idle-2', 'seen']);
    h.send(false);
    h.core.refreshJudgements(Number.POSITIVE_INFINITY);
    h.core.bus.watch('seen', { topology() {}, sample() {} });
    // Every host changed; the two nobody watches are overdue (judged 11 s ago), the watched one not.
    h.send(true, 11_000);
    h.core.refreshJudgements(0);
    expect(h.shown('seen')).toBe('loss');
    expect([h.shown('idle-1'), h.shown('idle-2')]).toEqual(['ok', 'ok']);
  });
});
