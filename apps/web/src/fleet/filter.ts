import type { HopStatus, HostSummary } from '@hopwatch/shared';
import { HOP_STATUSES, HOST_STATUSES } from '@hopwatch/shared/protocol/constants';

/**
 * The fleet overview's filter (`/` with no host): free text over host, worst hop and rule, which
 * worst-hop statuses and agent states to show, one rule. It lives in the URL (`q=`,
 * `status=loss,down`, `agent=online,lost`, `rule=R01`), so "every host losing packets to R01" is a
 * link like any other view.
 */
export type AgentStatus = HostSummary['status'];
export const AGENT_STATUSES: readonly AgentStatus[] = HOST_STATUSES;

export interface FleetFilter {
  q: string;
  /** Worst-hop statuses to show; empty: all. */
  status: HopStatus[];
  /** Empty: every agent status. */
  agent: AgentStatus[];
  rule: string | null;
}

export const DEFAULT_FLEET_FILTER: FleetFilter = { q: '', status: [], agent: [], rule: null };

/** A rule id as the judgement names them (R00..R99). Anything else in a URL is dropped. */
const RULE_RE = /^R\d{2}$/;
const Q_MAX_CHARS = 200;

export function isDefaultFilter(f: FleetFilter): boolean {
  return f.q === '' && f.status.length === 0 && f.agent.length === 0 && f.rule === null;
}

/** From a URL's parameters; null when it names no fleet filter (keeps views without one as they were). */
export function decodeFleetFilter(params: URLSearchParams): FleetFilter | null {
  const q = (params.get('q') ?? '').slice(0, Q_MAX_CHARS);
  const status = (params.get('status') ?? '').split(',');
  const agent = (params.get('agent') ?? '')
    .split(',')
    .filter((s): s is AgentStatus => (AGENT_STATUSES as readonly string[]).includes(s));
  const rawRule = params.get('rule');
  const rule = rawRule !== null && RULE_RE.test(rawRule) ? rawRule : null;
  const f: FleetFilter = {
    q,
    status: HOP_STATUSES.filter((s) => status.includes(s)),
    agent: AGENT_STATUSES.filter((s) => agent.includes(s)),
    rule,
  };
  return isDefaultFilter(f) ? null : f;
}

/** `key=value` pairs (value not yet escaped), in a fixed order; none for the default filter. */
export function encodeFleetFilter(f: FleetFilter | null | undefined): [string, string][] {
  if (!f) return [];
  const out: [string, string][] = [];
  if (f.q !== '') out.push(['q', f.q]);
  if (f.status.length > 0) out.push(['status', HOP_STATUSES.filter((s) => f.status.includes(s)).join(',')]);
  if (f.agent.length > 0) out.push(['agent', AGENT_STATUSES.filter((s) => f.agent.includes(s)).join(',')]);
  if (f.rule !== null) out.push(['rule', f.rule]);
  return out;
}

const HOP_RANK = new Map(HOP_STATUSES.map((s, i) => [s, i]));
/** A vanished agent weighs like a losing hop, a lagging one like a warning: both need a look. */
const AGENT_RANK: Record<AgentStatus, number> = {
  online: 0,
  lagging: HOP_RANK.get('warn')!,
  lost: HOP_RANK.get('loss')!,
};

/** How much a host needs looking at: its worst hop, or its agent's trouble, whichever is worse. */
export function severity(h: HostSummary): number {
  return Math.max(HOP_RANK.get(h.worst) ?? 0, AGENT_RANK[h.status]);
}

/** Worst first: severity, then hops losing packets, then the name (stable between updates). */
export function compareWorstFirst(a: HostSummary, b: HostSummary): number {
  return severity(b) - severity(a) || b.lossHops - a.lossHops || a.host.localeCompare(b.host);
}

function matches(h: HostSummary, f: FleetFilter, words: string[]): boolean {
  if (f.status.length > 0 && !f.status.includes(h.worst)) return false;
  if (f.agent.length > 0 && !f.agent.includes(h.status)) return false;
  if (f.rule !== null && h.rule !== f.rule) return false;
  if (words.length === 0) return true;
  const text = `${h.host} ${h.worstHop ?? ''} ${h.rule ?? ''} ${h.worst} ${h.status}`.toLowerCase();
  return words.every((w) => text.includes(w));
}

/** The rows the overview shows, worst first. */
export function fleetRows(hosts: readonly HostSummary[], f: FleetFilter): HostSummary[] {
  const words = f.q.toLowerCase().split(/\s+/).filter(Boolean);
  return hosts.filter((h) => matches(h, f, words)).sort(compareWorstFirst);
}

/** Rules some host shows now, for the rule picker. */
export function rulesIn(hosts: readonly HostSummary[]): string[] {
  return [...new Set(hosts.map((h) => h.rule).filter((r): r is string => typeof r === 'string'))].sort();
}

/** Counts per agent status, for the filter buttons. */
export function agentCounts(hosts: readonly HostSummary[]): Record<AgentStatus, number> {
  const n: Record<AgentStatus, number> = { online: 0, lagging: 0, lost: 0 };
  for (const h of hosts) n[h.status] += 1;
  return n;
}
