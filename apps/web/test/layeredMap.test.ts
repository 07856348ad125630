import { describe, expect, it } from 'vitest';
import { LayeredMap } from '../src/store/layeredMap.ts';

/** What applyJudgement did before LayeredMap: copy, set, delete. The reference every version must equal. */
function copied<V>(prev: ReadonlyMap<string, V>, changed: [string, V][], removed: string[]): Map<string, V> {
  const next = new Map(prev);
  for (const [k, v] of changed) next.set(k, v);
  for (const k of removed) next.delete(k);
  return next;
}

const expectSame = <V>(got: ReadonlyMap<string, V>, want: Map<string, V>) => {
  expect([...got]).toEqual([...want]);
  expect([...got.keys()]).toEqual([...want.keys()]);
  expect([...got.values()]).toEqual([...want.values()]);
  expect(got.size).toBe(want.size);
  for (const k of ['a', 'k3', 'k41', 'k199', 'new-7', 'nope']) {
    expect(got.get(k)).toBe(want.get(k));
    expect(got.has(k)).toBe(want.has(k));
  }
  const seen: [string, V][] = [];
  got.forEach((v, k, m) => {
    expect(m).toBe(got);
    seen.push([k, v]);
  });
  expect(seen).toEqual([...want]);
};

describe('stats by id, one version per tick', () => {
  it('MAP25: each version reads as the copied Map it replaces, and no earlier version changes', () => {
    // A seeded walk: a few hops change each tick, now and then one is removed or a new one appears.
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const first = new Map(
      Array.from({ length: 200 }, (_, i) => [`k${i}`, { v: i }] as [string, { v: number }]),
    );
    let got: ReadonlyMap<string, { v: number }> = first;
    let want = new Map(first);
    const versions: [ReadonlyMap<string, { v: number }>, [string, { v: number }][]][] = [];
    for (let tick = 0; tick < 120; tick++) {
      // Mostly the same few hops (the ones on screen); sometimes a burst (a host expanded).
      const n = tick % 25 === 24 ? 150 : 3;
      const changed: [string, { v: number }][] = [];
      for (let i = 0; i < n; i++)
        changed.push([`k${rnd(tick % 25 === 24 ? 200 : 5)}`, { v: tick * 1000 + i }]);
      if (tick % 7 === 0) changed.push([`new-${tick % 11}`, { v: -tick }]);
      const removed = tick % 13 === 0 ? [`k${rnd(200)}`, `new-${rnd(11)}`, 'nope'] : [];
      got = LayeredMap.with(got, changed, removed);
      want = copied(want, changed, removed);
      expectSame(got, want);
      versions.push([got, [...want]]);
    }
    for (const [version, entries] of versions) expect([...version]).toEqual(entries);
    expect([...first.values()].map((x) => x.v)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('MAP25: an unchanged hop keeps its object; a deleted hop set again comes back', () => {
    const a = { v: 1 };
    const b = { v: 2 };
    const one = LayeredMap.with(
      new Map([
        ['a', a],
        ['b', b],
      ]),
      [['b', { v: 3 }]],
      [],
    );
    expect(one.get('a')).toBe(a);
    const two = LayeredMap.with(one, [], ['a']);
    expect(two.has('a')).toBe(false);
    expect(two.size).toBe(1);
    const three = LayeredMap.with(two, [['a', a]], []);
    expect(three.get('a')).toBe(a);
    expect(three.size).toBe(2);
    expect(one.get('a')).toBe(a);
  });
});
