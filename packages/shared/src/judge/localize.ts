import type { Finding, HopReport, HopStatus } from '../protocol/diagnosis.ts';
import type { Sample, Topology } from '../protocol/model.ts';
import { buildFacts } from './facts.ts';
import { fmtCount } from './format.ts';
import { Ledger } from './ledger.ts';
import { ReasonPool } from './reasons.ts';
import { FindingSet, HopNotes, RULES, type RuleContext, SEVERITY_RANK } from './rules/index.ts';

/**
 * One lost packet is loss. The seed lost 0.01 % for a week and a half because every tool
 * rounded it away; a threshold above one packet per window would repeat that.
 */
export const LOSS_MIN_DROPS = 1;

export interface Judgement {
  /** Every interface of the topology, by id. */
  hops: Map<string, HopReport>;
  /** Most severe first, then by count. */
  findings: Finding[];
}

/** A window in which nothing moved: what `localize` judges when there are no samples. */
function emptyWindow(): Sample {
  return {
    t: 0,
    elapsedMs: 1,
    ifaces: {},
    softnet: [],
    qdiscs: {},
    snmp: {},
    drops: [],
    sysctls: {},
    tracing: { state: 'unavailable', detail: 'no samples', lost: 0 },
  };
}

/** Reason counts from a window whose trace ring overran are a lower bound: say so where they are quoted. */
function withTracingCaveat(findings: Finding[], w: Sample): Finding[] {
  if (w.tracing.lost <= 0) return findings;
  const caveat = `tracing lost ${fmtCount(w.tracing.lost)} events in this window: kfree_skb counts are a lower bound`;
  return findings.map((f) =>
    f.evidence.some((e) => e.startsWith('kfree_skb ')) && !f.evidence.includes(caveat)
      ? { ...f, evidence: [...f.evidence, caveat] }
      : f,
  );
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] ||
    b.count - a.count ||
    a.rule.localeCompare(b.rule) ||
    (a.hop ?? '').localeCompare(b.hop ?? '')
  );
}

/**
 * Localise loss and diagnose it in one window: every interface's report and the findings that
 * explain them. `samples` (the window's intervals one by one) sharpen "moved together" checks.
 */
export function judgeWindow(
  topology: Topology,
  window: Sample | null,
  path: readonly string[] | null = null,
  samples: readonly Sample[] = [],
): Judgement {
  const w = window ?? emptyWindow();
  const facts = buildFacts(topology, window, path);
  const ledger = new Ledger(facts);
  const ctx: RuleContext = {
    topology,
    window: w,
    samples,
    facts,
    path,
    reasons: new ReasonPool(w.drops),
    ledger,
    findings: new FindingSet(),
    notes: new HopNotes(),
  };
  for (const rule of RULES) rule.confirmed?.(ctx);
  for (const rule of RULES) rule.inferred?.(ctx);
  const findings = withTracingCaveat(ctx.findings.list(), w).sort(compareFindings);

  const byHop = new Map<string, Finding[]>();
  for (const x of findings) if (x.hop !== null) byHop.set(x.hop, [...(byHop.get(x.hop) ?? []), x]);
  const hops = new Map<string, HopReport>();
  for (const [id, f] of facts) {
    const mine = byHop.get(id) ?? [];
    const lost = ledger.total(id, 'loss');
    const notes = ctx.notes.of(id);
    const drops = lost + ledger.total(id, 'benign');
    // A sender whose drops are shown on its veth peer still did something: ok, not idle.
    const moved = f.through > 0 || drops > 0 || f.c.rxDropped + f.c.txDropped > 0;
    let status: HopStatus = moved ? 'ok' : 'idle';
    if (drops > 0 || mine.some((x) => x.severity === 'warn')) status = 'warn';
    if (lost >= LOSS_MIN_DROPS || mine.some((x) => x.severity === 'loss')) status = 'loss';
    if (f.down && f.shouldCarry) status = 'down';
    const report: HopReport = {
      id,
      kind: f.iface.kind,
      netns: f.iface.netns,
      name: f.iface.name,
      status,
      pathIndex: f.pathIndex,
      rxPackets: f.c.rxPackets,
      txPackets: f.c.txPackets,
      rxDropped: f.c.rxDropped,
      txDropped: f.c.txDropped,
      drops,
      lossRatio: drops + f.through > 0 ? drops / (drops + f.through) : 0,
      rules: mine.length === 0 ? [] : [...new Set(mine.map((x) => x.rule))],
    };
    // Set after, not spread in: no temporary object per report (1000 of them per judged window).
    if (notes.length > 0) report.notes = notes;
    hops.set(id, report);
  }
  return { hops, findings };
}

/**
 * Every interface's report for one window: status idle/ok/warn/loss/down from the window's
 * deltas, drops deduplicated over veth pairs plus qdisc and backlog drops, the rules that fired.
 */
export function localize(
  topology: Topology,
  window: Sample | null,
  path: readonly string[] | null = null,
  samples: readonly Sample[] = [],
): Map<string, HopReport> {
  return judgeWindow(topology, window, path, samples).hops;
}
