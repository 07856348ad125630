import { type HopFacts, POOLS, type Pool } from './facts.ts';

/** Whether claimed drops are loss of wanted traffic or traffic nobody wanted (R06). */
export type DropKind = 'loss' | 'benign';

/**
 * Who explained which drops. Each hop's counted drops (its pools) are handed out once: a rule
 * claims what its signals prove, and whatever is left at the end is loss without a known cause.
 */
export class Ledger {
  private readonly left = new Map<string, Record<Pool, number>>();
  private readonly tally = new Map<string, Record<DropKind, number>>();

  constructor(facts: ReadonlyMap<string, HopFacts>) {
    for (const [id, f] of facts) {
      this.left.set(id, { ...f.pools });
      this.tally.set(id, { loss: 0, benign: 0 });
    }
  }

  available(hop: string, pool: Pool): number {
    return this.left.get(hop)?.[pool] ?? 0;
  }

  /** Take up to `max` drops of `hop`'s `pool`; returns how many were taken. */
  claim(hop: string, pool: Pool, max: number, kind: DropKind = 'loss'): number {
    const left = this.left.get(hop);
    const tally = this.tally.get(hop);
    if (!left || !tally) return 0;
    const n = Math.max(0, Math.min(left[pool], max));
    left[pool] -= n;
    tally[kind] += n;
    return n;
  }

  /** Drops no interface counter shows (a bridge's silent MTU drop, a full socket): added to the hop. */
  add(hop: string, n: number, kind: DropKind = 'loss'): void {
    const tally = this.tally.get(hop);
    if (tally && n > 0) tally[kind] += n;
  }

  /** What nobody claimed, per pool. */
  unclaimed(hop: string): Record<Pool, number> {
    return { ...(this.left.get(hop) ?? Object.fromEntries(POOLS.map((p) => [p, 0]))) } as Record<
      Pool,
      number
    >;
  }

  /** Drops of `kind` on `hop`, claimed or added. */
  total(hop: string, kind: DropKind): number {
    return this.tally.get(hop)?.[kind] ?? 0;
  }
}
