import { afterEach, describe, expect, it } from 'vitest';
import { HubCore, UNWATCHED_JUDGE_EVERY_MS } from '../src/core.ts';
import { metricsText } from '../src/http/metrics.ts';
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
  return { core, store, send, shown, worst, advance };
}

describe('judging cadence (issue 12)', () => {
  it('JUDGE1: a host nobody watches is judged at once, then by its chunks, and by the hub itself only past UNWATCHED_JUDGE_EVERY_MS without one', () => {
    const h = hub();
    h.send(true);
    expect(h.worst()).toBe('loss');
    h.send(false);
    // Not due yet, and no chunk written: the host list keeps the last judgement.
    expect(h.worst()).toBe('loss');
    h.advance(UNWATCHED_JUDGE_EVERY_MS - 1500);
    expect(h.worst()).toBe('loss');
    h.advance(1500);
    expect(h.worst()).toBe('ok');
  });

  it("JUDGE4: an unwatched host's status is its written chunk's window, worst hop and rule included, without judging it again", () => {
    const h = hub();
    h.send(false);
    expect(h.worst()).toBe('ok');
    h.send(true);
    for (let i = 0; i < 3; i++) h.send(false);
    // Judged on its first sample; nothing due since (the lossy second is not shown yet).
    expect(h.worst()).toBe('ok');
    h.store.flush();
    // The chunk's window holds the lossy second: the status says so, though the latest is clean.
    const row = h.core.localSummaries()[0]!;
    expect(row.worst).toBe('loss');
    expect(row.worstHop).not.toBeNull();
    expect(row.rule).not.toBeNull();
    expect(h.store.summaries('h1', 0, Number.MAX_SAFE_INTEGER).at(-1)?.worst).toBe('loss');
    // The hub does not judge the latest (clean) sample over it while chunks keep coming...
    h.send(false);
    h.advance(UNWATCHED_JUDGE_EVERY_MS - 2000);
    expect(h.worst()).toBe('loss');
    // ...and the next clean window clears it.
    h.store.flush();
    expect(h.shown()).toBe('ok');
  });

  it("JUDGE5: a chunk's window is not the status of a watched host, nor one older than the judgement held", () => {
    const h = hub();
    h.core.bus.watch('h1', { topology() {}, sample() {} });
    h.send(true);
    h.send(false);
    expect(h.worst()).toBe('ok');
    // The window has the lossy second; the watched host's status stays its latest sample's.
    h.store.flush();
    expect(h.shown()).toBe('ok');

    // Watched at its last sample, then left: the window it is in ends no later than the sample
    // already judged, so it does not replace that judgement.
    const b = hub(['h2']);
    b.send(true);
    b.core.refreshJudgements(Number.POSITIVE_INFINITY);
    expect(b.shown('h2')).toBe('loss');
    const stop = b.core.bus.watch('h2', { topology() {}, sample() {} });
    b.send(false);
    b.core.refreshJudgements(Number.POSITIVE_INFINITY);
    expect(b.shown('h2')).toBe('ok');
    stop();
    b.store.flush();
    expect(b.shown('h2')).toBe('ok');
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

  it("JUDGE6: a host keeps each hop's status of its judgement, not its reports, and hopwatch_hop_status says them", () => {
    const h = hub();
    const hopStatus = () =>
      [...metricsText(h.core, 'h1')]
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('hopwatch_hop_status{'));
    h.send(true);
    expect(h.worst()).toBe('loss');
    // The veth pair's loss is shown on the receiving end (localize deduplicates pairs).
    expect(hopStatus()).toEqual([
      'hopwatch_hop_status{host="h1",netns="",interface="veth-a"} 1',
      'hopwatch_hop_status{host="h1",netns="ns1",interface="veth-b"} 3',
    ]);
    // Three small objects per host whatever its size (state/hopStatus.ts), no HopReport.
    const hops = h.core.hosts.get('h1')!.hops!;
    expect(Object.keys(hops)).toEqual(['netns', 'names', 'status']);
    expect(hops.status).toBeInstanceOf(Uint8Array);
    // A clean chunk window (the host unwatched) replaces them: every hop ok.
    for (let i = 0; i < 11; i++) h.send(false);
    h.store.flush();
    h.send(false);
    h.store.flush();
    expect(hopStatus()).toEqual([
      'hopwatch_hop_status{host="h1",netns="",interface="veth-a"} 1',
      'hopwatch_hop_status{host="h1",netns="ns1",interface="veth-b"} 1',
    ]);
  });
});
