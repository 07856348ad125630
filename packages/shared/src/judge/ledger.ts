import { type HopFacts, POOLS, type Pool } from './facts.ts';

/** Whether claimed drops are loss of wanted traffic or traffic nobody wanted (R06). */
export type DropKind = 'loss' | 'benign';

/**
 * Who explained which drops. Each hop's counted drops (its pools) are handed out once: a rule
 * claims what its signals prove, and whatever is left at the end is loss without a known cause.
 */
export class Ledger {
  /**
   * Made on a hop's first claim or add, not up front: most hops of a big host are never claimed
   * from, and two small objects per hop per window (6000 at 3000 interfaces) were the judge
   * worker's garbage every tick. Until then a hop's pools are its facts' and its tally is zero.
   */
  private readonly left = new Map<string, Record<Pool, number>>();
  private readonly tally = new Map<string, Record<DropKind, number>>();

  constructor(private readonly facts: ReadonlyMap<string, HopFacts>) {}

  private leftOf(hop: string): Record<Pool, number> | undefined {
    let left = this.left.get(hop);
    if (left === undefined) {
      const f = this.facts.get(hop);
      if (f === undefined) return undefined;
      left = { ...f.pools };
      this.left.set(hop, left);
    }
    return left;
  }

  private tallyOf(hop: string): Record<DropKind, number> | undefined {
    let tally = this.tally.get(hop);
    if (tally === undefined) {
      if (!this.facts.has(hop)) return undefined;
      tally = { loss: 0, benign: 0 };
      this.tally.set(hop, tally);
    }
    return tally;
  }

  available(hop: string, pool: Pool): number {
    return (this.left.get(hop) ?? this.facts.get(hop)?.pools)?.[pool] ?? 0;
  }

  /** Take up to `max` drops of `hop`'s `pool`; returns how many were taken. */
  claim(hop: string, pool: Pool, max: number, kind: DropKind = 'loss'): number {
    const left = this.leftOf(hop);
    const tally = this.tallyOf(hop);
    if (!left || !tally) return 0;
    const n = Math.max(0, Math.min(left[pool], max));
    left[pool] -= n;
    tally[kind] += n;
    return n;
  }

  /** Drops no interface counter shows (a bridge's silent MTU drop, a full socket): added to the hop. */
  add(hop: string, n: number, kind: DropKind = 'loss'): void {
    if (!(n > 0)) return;
    const tally = this.tallyOf(hop);
    if (tally) tally[kind] += n;
  }

  /** What nobody claimed yet, per pool, not copied: read it before the next claim on this hop. */
  peek(hop: string): Readonly<Record<Pool, number>> | undefined {
    return this.left.get(hop) ?? this.facts.get(hop)?.pools;
  }

  /** What nobody claimed, per pool. */
  unclaimed(hop: string): Record<Pool, number> {
    return {
      ...(this.left.get(hop) ?? this.facts.get(hop)?.pools ?? Object.fromEntries(POOLS.map((p) => [p, 0]))),
    } as Record<Pool, number>;
  }

  /** Drops of `kind` on `hop`, claimed or added. */
  total(hop: string, kind: DropKind): number {
    return this.tally.get(hop)?.[kind] ?? 0;
  }
}
