import { Readable } from 'node:stream';
import type { HopReport } from '@hopwatch/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { exportStream } from '../src/replay/export.ts';
import { importRecording } from '../src/replay/import.ts';
import { InProcessBus, type LiveSink } from '../src/seams/bus.ts';
import { type AgentLease, InProcessRegistry } from '../src/seams/registry.ts';
import { judgementOf } from '../src/state/summary.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';

const T0 = 1_700_000_000_000;
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
});

function lease(instance: string, over: Partial<{ lastFrameAt: number; open: boolean }> = {}) {
  const revoked: string[] = [];
  const l: AgentLease & { revoked: string[] } = {
    instance,
    remote: `10.0.0.1:${instance.length}`,
    intervalMs: 1000,
    lastFrameAt: () => over.lastFrameAt ?? T0,
    isOpen: () => over.open ?? true,
    revoke: (_code, reason) => revoked.push(reason),
    revoked,
  };
  return l;
}

describe('Registry (in-process): the duplicate-host lease', () => {
  it('SEAM1: a second instance is refused while the holder is alive; the same instance replaces it', async () => {
    const reg = new InProcessRegistry(() => T0 + 1000);
    const a = lease('a');
    expect(await reg.claim('h1', a, 10_000)).toBeNull();
    expect(await reg.claim('h1', lease('b'), 10_000)).toMatch(/already connected from .*another --name/);
    const a2 = lease('a');
    expect(await reg.claim('h1', a2, 10_000)).toBeNull();
    expect(a.revoked).toEqual(['replaced by a newer connection for this host']);
    // The replaced socket's close must not free the name its successor holds.
    reg.release('h1', a);
    expect(await reg.claim('h1', lease('c'), 10_000)).toMatch(/already connected/);
  });

  it('SEAM2: a holder silent past max(3 intervals, goneAfter) or closed frees the name', async () => {
    const reg = new InProcessRegistry(() => T0 + 20_000);
    expect(await reg.claim('h1', lease('a', { lastFrameAt: T0 }), 10_000)).toBeNull();
    expect(await reg.claim('h1', lease('b'), 10_000)).toBeNull();
    const reg2 = new InProcessRegistry(() => T0);
    expect(await reg2.claim('h2', lease('a', { open: false }), 10_000)).toBeNull();
    expect(await reg2.claim('h2', lease('b'), 10_000)).toBeNull();
  });
});

describe('Bus (in-process): live frames to watchers', () => {
  function sink() {
    const got: string[] = [];
    const s: LiveSink = {
      topology: (host) => got.push(`topology:${host}`),
      sample: (host, json) => got.push(`sample:${host}:${JSON.parse(json).t}`),
    };
    return { s, got };
  }

  it('SEAM3: a watcher gets the current state first, then only its host; nothing kept once unwatched', () => {
    const bus = new InProcessBus((host) =>
      host === 'h1'
        ? { topology: { t: T0, topology: makeTopology('h1') }, latest: { t: T0 + 1, json: '{"t":1}' } }
        : null,
    );
    const a = sink();
    const stop = bus.watch('h1', a.s);
    expect(a.got).toEqual(['topology:h1', 'sample:h1:1']);
    expect(bus.watched('h1')).toBe(true);
    bus.publishSample('h1', '{"t":2}');
    bus.publishSample('h2', '{"t":3}');
    expect(a.got.at(-1)).toBe('sample:h1:2');
    expect(a.got).not.toContain('sample:h2:3');
    stop();
    expect(bus.watched('h1')).toBe(false);
    expect(bus.watchedHosts()).toEqual([]);
  });
});

describe('host judgement for the host list', () => {
  const hop = (id: string, status: HopReport['status'], drops: number, rules: string[] = []): HopReport => ({
    id,
    kind: 'veth',
    netns: '',
    name: id,
    status,
    pathIndex: null,
    rxPackets: 0,
    txPackets: 0,
    rxDropped: 0,
    txDropped: 0,
    drops,
    lossRatio: 0,
    rules,
  });

  it('SEAM4: names the worst hop (most drops among equals) and its first rule; none when all is well', () => {
    const j = judgementOf([
      hop('a', 'loss', 5, ['R07']),
      hop('b', 'loss', 66, ['R01', 'R18']),
      hop('c', 'warn', 0),
    ]);
    expect(j).toMatchObject({ worst: 'loss', worstHop: 'b', rule: 'R01', lossHops: 2, drops: 71 });
    expect(judgementOf([hop('a', 'ok', 0), hop('b', 'idle', 0)])).toMatchObject({
      worstHop: null,
      rule: null,
    });
  });
});

describe('one write path for live and imported chunks', () => {
  it('SEAM5: a recording exported and imported again has the same chunk rows as the live one', async () => {
    const live = openStore(':memory:', { autoPump: false, chunkMs: 10_000, now: () => T0 + 60_000 });
    stores.push(live);
    live.appendTopology('h1', T0, makeTopology('h1'));
    for (let i = 1; i <= 30; i++)
      live.append(
        'h1',
        makeSample(T0 + i * 1000, {
          'veth-a': row({ txPackets: 100, txDropped: i % 7 === 0 ? 9 : 0 }),
          'ns1/veth-b': row({ rxPackets: 100 }),
        }),
      );
    live.flush();
    const parts: Buffer[] = [];
    for await (const c of exportStream(live, { hosts: ['h1'], start: T0, end: T0 + 30_000, marks: [] }))
      parts.push(c as Buffer);
    const copy = openStore(':memory:', { autoPump: false, chunkMs: 10_000, now: () => T0 + 60_000 });
    stores.push(copy);
    await importRecording(copy, Readable.from([Buffer.concat(parts)]));
    const rows = (s: Store) =>
      s.db
        .prepare(`SELECT host, start_t, end_t, samples, codec, bytes, summary FROM chunks ORDER BY start_t`)
        .all();
    expect(rows(copy)).toEqual(rows(live));
    expect(rows(live).length).toBe(3);
  });
});
