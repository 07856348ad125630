import { describe, expect, it } from 'vitest';
import { resolveOverlaps } from '../src/layout/layered.ts';
import type { Cell, Lane } from '../src/layout/types.ts';

/** The earlier resolveOverlaps, kept as the reference: start again from the top after every push. */
function reference(
  lanes: Map<string, Lane>,
  cells: Map<string, Cell>,
  membersOf: Map<string, string[]>,
): void {
  const headerRows = (l: Lane) => (l.bare ? 0 : 1);
  const colsOverlap = (a: Lane, b: Lane) => a.col0 <= b.col1 && b.col0 <= a.col1;
  for (let guard = 0; guard <= lanes.size; guard++) {
    const order = [...lanes].sort((a, b) => a[1].row0 - b[1].row0 || a[1].col0 - b[1].col0);
    let moved = false;
    for (let i = 0; i < order.length && !moved; i++) {
      const [, upper] = order[i]!;
      for (let j = i + 1; j < order.length; j++) {
        const [name, lower] = order[j]!;
        const overlap = upper.row0 + upper.rows - (lower.row0 - headerRows(lower));
        if (!colsOverlap(upper, lower) || overlap <= 0) continue;
        lower.row0 += overlap;
        for (const id of membersOf.get(name) ?? []) {
          const c = cells.get(id)!;
          cells.set(id, { col: c.col, row: c.row + overlap });
        }
        moved = true;
      }
    }
    if (!moved) return;
  }
}

/** A deterministic pseudo-random picture of `n` lanes, many of them overlapping. */
function picture(seed: number, n: number) {
  let x = seed;
  const rnd = (k: number) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % k;
  };
  const lanes = new Map<string, Lane>();
  const cells = new Map<string, Cell>();
  const membersOf = new Map<string, string[]>();
  for (let i = 0; i < n; i++) {
    const col0 = rnd(8);
    const lane: Lane = { col0, col1: col0 + rnd(3), row0: rnd(12), rows: 1 + rnd(3), bare: rnd(3) === 0 };
    const name = `ns${i}`;
    lanes.set(name, lane);
    const ids = [`${name}/a`, `${name}/b`];
    membersOf.set(name, ids);
    for (const [k, id] of ids.entries()) cells.set(id, { col: lane.col0, row: lane.row0 + k });
  }
  return { lanes, cells, membersOf };
}

describe('lanes pushed apart', () => {
  it('MAP23: one top-to-bottom pass gives the picture the start-again-after-every-push loop gave', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const a = picture(seed, 2 + (seed % 40));
      const b = picture(seed, 2 + (seed % 40));
      reference(a.lanes, a.cells, a.membersOf);
      resolveOverlaps(b.lanes, b.cells, b.membersOf);
      expect([...b.lanes], `seed ${seed}`).toEqual([...a.lanes]);
      expect([...b.cells], `seed ${seed}`).toEqual([...a.cells]);
    }
  });
});
