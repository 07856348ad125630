/**
 * Open vSwitch's text answers, parsed purely (fixtures of real OVS 3.1 output in
 * test/fixtures/ovs/): `ovs-appctl dpctl/show`, `ovs-appctl coverage/show` and
 * `ovs-ofctl dump-flows`. Lines that do not have the expected shape are skipped, never thrown on.
 */

export interface DatapathTotals {
  name: string;
  hit: number;
  missed: number;
  lost: number;
  flows: number;
}

/** `netdev@ovs-netdev:` then `  lookups: hit:40 missed:20 lost:0` and `  flows: 18`. */
export function parseDpctlShow(text: string): DatapathTotals[] {
  const out: DatapathTotals[] = [];
  let cur: DatapathTotals | null = null;
  for (const line of text.split('\n')) {
    const head = /^(\S+@\S+):$/.exec(line);
    if (head) {
      cur = { name: head[1]!, hit: 0, missed: 0, lost: 0, flows: 0 };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const lookups = /^\s+lookups: hit:(\d+) missed:(\d+) lost:(\d+)/.exec(line);
    if (lookups) {
      cur.hit = Number(lookups[1]);
      cur.missed = Number(lookups[2]);
      cur.lost = Number(lookups[3]);
    }
    const flows = /^\s+flows: (\d+)/.exec(line);
    if (flows) cur.flows = Number(flows[1]);
  }
  return out;
}

/** Coverage counters that count packets OVS dropped (the `drop_action_*` of OVS ≥ 2.13 and the datapath's own). */
export const isDropCoverage = (name: string) =>
  name.startsWith('drop_action_') || name.startsWith('datapath_drop_');
/** Changes when any bridge's OpenFlow table changes: the cue to read the flows again. */
export const FLOW_TABLE_COVERAGE = 'rev_flow_table';

/** `name   1.2/sec   0.100/sec   0.0017/sec   total: 7` → name → total (only counters that ever hit are listed). */
export function parseCoverageShow(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+)\s+[\d.]+\/sec\s+[\d.]+\/sec\s+[\d.]+\/sec\s+total: (\d+)\s*$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export interface FlowLine {
  cookie: string;
  table: number;
  priority: number;
  /** Seconds the flow has existed: tells a new flow's packets from ones counted before we looked. */
  durationS: number;
  nPackets: number;
  match: string;
  actions: string;
}

/** OVS's default priority, which dump-flows leaves out. */
const DEFAULT_PRIORITY = 32768;

/**
 * One `dump-flows` line: `cookie=0x0, duration=13.7s, table=0, n_packets=20, n_bytes=880,
 * [idle_age=5, ]priority=100,udp,nw_dst=10.99.0.2 actions=drop`. The statistics are separated by
 * ", " and the match (priority first, when not the default) is the last such part.
 */
export function parseFlowLine(line: string): FlowLine | null {
  const at = line.indexOf(' actions=');
  if (at < 0) return null;
  const parts = line.slice(0, at).trim().split(', ');
  const stats = new Map<string, string>();
  for (const p of parts.slice(0, -1)) {
    const eq = p.indexOf('=');
    if (eq > 0) stats.set(p.slice(0, eq), p.slice(eq + 1));
  }
  let match = parts.at(-1) ?? '';
  // A flow with no statistics field before the match would make the match look like one.
  if (/^(cookie|duration|table|n_packets|n_bytes|idle_age|hard_age)=/.test(match)) {
    const eq = match.indexOf('=');
    stats.set(match.slice(0, eq), match.slice(eq + 1));
    match = '';
  }
  let priority = DEFAULT_PRIORITY;
  const pm = /^priority=(\d+)(?:,|$)/.exec(match);
  if (pm) {
    priority = Number(pm[1]);
    match = match.slice(pm[0].length);
  }
  const table = Number(stats.get('table') ?? '0');
  const nPackets = Number(stats.get('n_packets') ?? 'NaN');
  const durationS = Number.parseFloat(stats.get('duration') ?? 'NaN');
  if (!Number.isSafeInteger(table) || !Number.isSafeInteger(nPackets)) return null;
  return {
    cookie: stats.get('cookie') ?? '0x0',
    table,
    priority,
    durationS: Number.isFinite(durationS) ? durationS : 0,
    nPackets,
    match,
    actions: line.slice(at + ' actions='.length).trim(),
  };
}

/** A flow that drops what it matches: OVS prints both `actions=drop` and an empty action list as `drop`. */
export const isDropFlow = (f: FlowLine) => f.actions === 'drop' || f.actions === '';

/** The drop flows of one bridge's `dump-flows` (other flows are not kept: a br-int has thousands). */
export function parseDropFlows(text: string): FlowLine[] {
  const out: FlowLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('actions=drop') && !line.endsWith('actions=')) continue;
    const f = parseFlowLine(line);
    if (f && isDropFlow(f)) out.push(f);
  }
  return out;
}
