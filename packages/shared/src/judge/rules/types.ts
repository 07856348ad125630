import type { Finding } from '../../protocol/diagnosis.ts';
import type { Sample, Topology } from '../../protocol/model.ts';
import type { HopFacts } from '../facts.ts';
import type { Ledger } from '../ledger.ts';
import type { ReasonPool } from '../reasons.ts';

export type Severity = Finding['severity'];
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warn: 1, loss: 2 };

/** What a rule sees: one window's facts, and the ledgers it claims drops and reasons from. */
export interface RuleContext {
  topology: Topology;
  window: Sample;
  /** The window's samples one by one, when known (for "moved together" checks); may be empty. */
  samples: readonly Sample[];
  facts: ReadonlyMap<string, HopFacts>;
  path: readonly string[] | null;
  reasons: ReasonPool;
  ledger: Ledger;
  findings: FindingSet;
  /** Lines for a hop's detail that its status does not say (how drops got there, direction). */
  notes: HopNotes;
}

/** Per hop, lines in the order rules added them, each once. */
export class HopNotes {
  private readonly byHop = new Map<string, string[]>();

  add(hop: string, line: string): void {
    const lines = this.byHop.get(hop) ?? [];
    if (!lines.includes(line)) lines.push(line);
    this.byHop.set(hop, lines);
  }

  of(hop: string): string[] {
    return this.byHop.get(hop) ?? [];
  }
}

/**
 * A diagnosis rule from reference/drop-causes.md §3. Two passes over all rules: first every rule
 * takes what the kernel's own signals prove (drop reasons, dedicated counters such as qdisc drops
 * and softnet column 2), then every rule may infer from plain counters what pass one left.
 */
export interface Rule {
  id: string;
  /** The cause in a few words (the catalogue's name). */
  name: string;
  confirmed?(ctx: RuleContext): void;
  inferred?(ctx: RuleContext): void;
}

/** Findings by (rule, hop): a rule that fires in both passes for a hop gives one finding. */
export class FindingSet {
  private readonly byKey = new Map<string, Finding>();

  add(f: Finding): void {
    const k = `${f.rule}|${f.hop ?? ''}`;
    const prev = this.byKey.get(k);
    if (!prev) {
      this.byKey.set(k, { ...f, evidence: [...new Set(f.evidence)] });
      return;
    }
    const worse = SEVERITY_RANK[f.severity] > SEVERITY_RANK[prev.severity] ? f : prev;
    this.byKey.set(k, {
      ...worse,
      count: prev.count + f.count,
      evidence: [...new Set([...prev.evidence, ...f.evidence])],
    });
  }

  has(rule: string, hop: string | null): boolean {
    return this.byKey.has(`${rule}|${hop ?? ''}`);
  }

  list(): Finding[] {
    return [...this.byKey.values()];
  }
}

export function sysctl(ctx: RuleContext, name: string): number | null {
  const v = ctx.window.sysctls[name];
  return v === undefined ? null : v;
}
