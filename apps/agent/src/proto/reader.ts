/**
 * Per-namespace protocol state for the R11-R16 rules (issue 10), collected cheaply:
 * - every sample, two procfs reads per namespace: the namespace's conntrack statistics
 *   (/proc/PID/net/stat/nf_conntrack: count, drop, early_drop, insert_failed) and its ARP table
 *   (/proc/PID/net/arp: entries, neighbours still unresolved and the device they wait on);
 * - rp_filter comes from the discovery probe (its `ip -b` batch already asks `netconf show`; the
 *   `ip monitor` hears netconf changes and re-probes the namespace): no process of its own;
 * - the nftables ruleset (`nft -j list ruleset`), one process per namespace, only when something
 *   says it matters: once when a namespace is first seen, and when the kernel reports
 *   NETFILTER_DROP (every namespace at most every TRIGGER_ALL_MS, in between only those known to
 *   have drop/reject rules, to see which rule's counter moved). Never on a timer: a spawn from
 *   this ~50 MB process costs ~10 ms of CPU with its child, and a 5-minute round over 100
 *   namespaces was half of the agent's steady cost. A rule changed where nothing drops is seen
 *   at the next NETFILTER_DROP (README, Known gaps): until it drops it explains nothing.
 * Namespaces are entered with `nsenter --net=/proc/PID/ns/net` and a fixed argv (no shell), or
 * `ip -n NAME` for named ones; nothing is read through /proc/PID/root.
 */
import type { DropReasonCount, FirewallRule, NsProto } from '@hopwatch/shared';
import type { NsEntry } from '../discovery/namespaces.ts';
import type { Runner } from '../discovery/probe.ts';
import { splitJsonDocuments } from '../parse/json.ts';
import { parseSnmp } from '../parse/snmp.ts';
import { counterDelta } from '../util/counter.ts';
import type { LogFn } from '../util/log.ts';
import { mapLimit } from '../util/map-limit.ts';
import { DIRECT, type FileReader, netDir, readNsBytes, readNsText } from '../sampling/ns-files.ts';
import { KeptBytes } from '../util/kept-bytes.ts';
import { MAX_FILE_BYTES, seqWholeBelow, WHOLE_ON_SHORT_READ } from '../util/procfs.ts';
import { type ConntrackTotals, parseArp, parseConntrackStat, parseNftRuleset } from './parse.ts';

/** NETFILTER_DROP re-reads every namespace's ruleset at most this often. */
const TRIGGER_ALL_MS = 5000;
/** A namespace whose ruleset could not be read (nft failed, timed out) is tried again after this. */
const NFT_RETRY_MS = 60_000;
/**
 * Reasons whose namespace the SNMP counters tell, and those counters. While such reasons come,
 * every namespace's snmp and netstat are read each sample (netstat is otherwise read only every
 * tenth sample, sampling/counter-reader.ts).
 */
const MIB_REASONS: ReadonlySet<string> = new Set([
  'IP_INNOROUTES',
  'IP_OUTNOROUTES',
  'IP_INADDRERRORS',
  'IP_RPFILTER',
  'FRAG_REASM_TIMEOUT',
  'DUP_FRAG',
  'FRAG_TOO_FAR',
]);
export const MIB_KEYS: ReadonlySet<string> = new Set([
  'IpExt.InNoRoutes',
  'Ip.OutNoRoutes',
  'Ip.InAddrErrors',
  'TcpExt.IPReversePathFilter',
  'Ip.ReasmFails',
  'Ip.ReasmTimeout',
]);
/** Procfs reads of an idle namespace happen every this many samples (see readProcfs). */
const PROCFS_EVERY = 5;
/**
 * ...and every this many in a namespace whose interfaces have not moved for PROCFS_EVERY: its
 * conntrack counters and a new neighbour come with packets; what a quiet namespace's tables
 * still do (entries time out) is a gauge, shown a little later.
 */
const PROCFS_QUIET_EVERY = 30;
/** Parallel reads: more only queue on two cores. */
const CONCURRENCY = 4;

/**
 * When one read is the whole file (SPEC READ1): conntrack statistics (a line per CPU, ~160
 * bytes) and the ARP table (a line per neighbour, < 256 bytes with the longest hardware address)
 * are seq_files of records; snmp and netstat single_open files.
 */
const WHOLE_BELOW = {
  'stat/nf_conntrack': seqWholeBelow(256),
  arp: seqWholeBelow(256),
  snmp: WHOLE_ON_SHORT_READ,
  netstat: WHOLE_ON_SHORT_READ,
} as const;

type Rule = Omit<FirewallRule, 'packets'> & { total: number | null };
const ruleKey = (r: Pick<Rule, 'family' | 'table' | 'chain' | 'handle'>) =>
  `${r.family}|${r.table}|${r.chain}|${r.handle}`;

interface NsState {
  ct: ConntrackTotals | null;
  /**
   * The bytes `ct` and `arp` were parsed from: the same bytes again (an idle namespace, most
   * reads, also across the samples that do not read them) make no string and no parse (SPEC READ2).
   */
  ctBytes: KeptBytes;
  arpBytes: KeptBytes;
  /** The last reading of the ARP table (a gauge: sent as is until read again). */
  arp: ReturnType<typeof parseArp> | null;
  rules: Rule[];
  /** Counter packets since the last sample, by rule key. */
  pending: Map<string, number>;
  /** When the ruleset is owed a read (first sight, or a failed read's retry); null: read. */
  nftDue: number | null;
  /** Its place in the order namespaces were first seen: spreads the slots (not the inode, whose stride is fixed). */
  order: number;
}

/** The argv that runs `cmd args` inside the namespace: never a shell. */
export function inNamespace(
  ns: NsEntry,
  cmd: string,
  args: string[],
): { cmd: string; args: string[] } | null {
  if (ns.kind === 'host') return { cmd, args };
  if (ns.kind === 'named' && cmd === 'ip') return { cmd: 'ip', args: ['-n', ns.name, ...args] };
  if (ns.pid === null) return null;
  return { cmd: 'nsenter', args: [`--net=/proc/${ns.pid}/ns/net`, cmd, ...args] };
}

export class NsProtoReader {
  private readonly state = new Map<string, NsState>();
  private lastAll = Number.NEGATIVE_INFINITY;
  private inflight = new Set<string>();
  /** Last MIB totals per namespace, kept while the reasons come (the first read is a baseline). */
  private mibPrev = new Map<string, Map<string, number | bigint>>();
  private mibNow = new Map<string, Record<string, number>>();
  private nftMissing = false;

  constructor(
    private readonly procRoot: string,
    private readonly run: Runner,
    private readonly log: LogFn,
    private readonly live: boolean,
    /**
     * The counter reader's kept descriptors (sampling/counter-reader.ts): the same files it opens,
     * with its pid check on open, and closed with the namespace. Plain reads in unit tests.
     */
    private readonly files: FileReader = DIRECT,
  ) {}

  /**
   * One sample's protocol state; awaits only reads the interval's drop reasons asked for.
   * `rpFilter` gives a namespace's non-zero rp_filter values as its latest probe saw them;
   * `quietFor` the samples since its interface counters last moved (sampling/counter-reader.ts).
   */
  async sample(
    namespaces: readonly NsEntry[],
    drops: readonly DropReasonCount[],
    rpFilter: (name: string) => Readonly<Record<string, number>> | undefined = () => undefined,
    quietFor: (name: string) => number = () => 0,
  ): Promise<Record<string, NsProto>> {
    const seen = new Set(drops.filter((d) => d.count > 0).map((d) => d.reason));
    const neigh = [...seen].some((r) => r.startsWith('NEIGH_'));
    this.tick++;
    // Indexed loops over the namespaces each sample: no iterator result per step (see diffCounters).
    const netfilter = seen.has('NETFILTER_DROP');
    for (let i = 0; i < namespaces.length; i++) {
      const ns = namespaces[i]!;
      this.readProcfs(ns, netfilter, neigh, quietFor(ns.name) >= PROCFS_EVERY);
    }
    if (drops.some((d) => d.count > 0 && MIB_REASONS.has(d.reason))) {
      for (const ns of namespaces) this.readMib(ns);
    } else this.mibPrev.clear();
    if (this.live) {
      if (seen.has('NETFILTER_DROP')) await this.triggered(namespaces);
      this.readOwed(namespaces);
    }
    const out: Record<string, NsProto> = {};
    for (let i = 0; i < namespaces.length; i++) {
      const name = namespaces[i]!.name;
      const p = this.emit(name, rpFilter(name));
      if (p) out[name] = p;
    }
    // Namespaces no longer watched (forget() normally took them already): one set, not a scan each.
    if (this.state.size > namespaces.length) {
      const watched = new Set(namespaces.map((n) => n.name));
      for (const name of [...this.state.keys()]) if (!watched.has(name)) this.state.delete(name);
    }
    return out;
  }

  /** Before the first sample: every namespace's ruleset, the counters' baselines. */
  async prime(namespaces: readonly NsEntry[]): Promise<void> {
    if (!this.live) return;
    await mapLimit(namespaces, CONCURRENCY, (ns) => this.readNft(ns));
    for (const ns of namespaces) this.readProcfs(ns, true, true, false);
    this.ctDelta.clear();
  }

  forget(name: string): void {
    this.state.delete(name);
  }

  private st(name: string): NsState {
    let s = this.state.get(name);
    if (!s) {
      s = {
        ct: null,
        ctBytes: new KeptBytes(),
        arpBytes: new KeptBytes(),
        arp: null,
        rules: [],
        pending: new Map(),
        nftDue: performance.now(),
        order: this.seen++,
      };
      this.state.set(name, s);
    }
    return s;
  }

  private ctDelta = new Map<string, NsProto['conntrack']>();
  private tick = 0;
  /** Namespaces seen so far (their `order`). */
  private seen = 0;

  /**
   * Two procfs reads per namespace, not every sample: conntrack statistics every sample where
   * conntrack holds entries or NETFILTER_DROP came, the ARP table when neighbour drops came, and
   * both every PROCFS_EVERY samples otherwise, PROCFS_QUIET_EVERY in a quiet namespace (spread
   * over namespaces in the order they were first seen). A delta read late arrives whole in the
   * sample that reads it.
   */
  private readProcfs(ns: NsEntry, netfilter: boolean, neigh: boolean, quiet: boolean): void {
    if (ns.kind !== 'host' && ns.pid === null) return; // no holder: nothing to read (netDir)
    const s = this.st(ns.name);
    const slot = (this.tick + s.order) % (quiet ? PROCFS_QUIET_EVERY : PROCFS_EVERY) === 0;
    const readCt = slot || netfilter || s.ct === null || s.ct.entries > 0;
    const ctBytes = readCt ? this.bytes(ns, 'stat/nf_conntrack') : null;
    // An idle namespace's statistics read exactly as before (most reads): no string, no parse.
    // Bytes are kept only with a parse that gave totals, so `same` means s.ct is theirs.
    let ct: ConntrackTotals | null = null;
    if (ctBytes !== null && s.ctBytes.same(ctBytes)) ct = s.ct;
    else if (ctBytes !== null) {
      ct = parseConntrackStat(ctBytes.toString('latin1'));
      if (ct === null) s.ctBytes.reset();
      else s.ctBytes.keep(ctBytes);
    }
    if (ct) {
      const prev = s.ct ?? ct;
      // u32 per-CPU counters summed: a wrap or a reset reads as a drop; treat it as 0.
      const d = (k: keyof ConntrackTotals) => Math.max(0, ct[k] - prev[k]);
      this.ctDelta.set(ns.name, {
        count: ct.entries,
        drop: d('drop'),
        earlyDrop: d('earlyDrop'),
        insertFailed: d('insertFailed'),
        invalid: d('invalid'),
      });
      s.ct = ct;
    }
    if (!(slot || neigh || s.arp === null)) return;
    const arp = this.bytes(ns, 'arp');
    if (arp === null) s.arpBytes.reset();
    else if (!s.arpBytes.same(arp)) {
      s.arp = parseArp(arp.toString('latin1'));
      s.arpBytes.keep(arp);
    }
  }

  private readMib(ns: NsEntry): void {
    if (netDir(this.procRoot, ns) === null) return;
    const now = new Map<string, number | bigint>();
    for (const file of ['snmp', 'netstat'] as const) {
      const text = this.text(ns, file);
      if (text !== null) for (const [k, v] of parseSnmp(text, MIB_KEYS)) now.set(k, v);
    }
    const prev = this.mibPrev.get(ns.name);
    this.mibPrev.set(ns.name, now);
    if (!prev) return;
    const moved: Record<string, number> = {};
    for (const [k, v] of now) {
      const before = prev.get(k);
      const d = before === undefined ? 0 : counterDelta(before, v);
      if (d > 0) moved[k] = d;
    }
    if (Object.keys(moved).length > 0) this.mibNow.set(ns.name, moved);
  }

  private text(ns: NsEntry, file: 'snmp' | 'netstat'): string | null {
    return readNsText(this.files, this.procRoot, ns, file, MAX_FILE_BYTES, WHOLE_BELOW[file]);
  }

  /** The file's bytes in the shared read buffer (valid until the next read). */
  private bytes(ns: NsEntry, file: 'stat/nf_conntrack' | 'arp'): Buffer | null {
    return readNsBytes(this.files, this.procRoot, ns, file, MAX_FILE_BYTES, WHOLE_BELOW[file]);
  }

  private emit(name: string, rpFilter: Readonly<Record<string, number>> | undefined): NsProto | null {
    const s = this.state.get(name);
    const mib = this.mibNow.get(name);
    const ct = this.ctDelta.get(name);
    const arp = s?.arp;
    const hasCt =
      ct !== undefined && (ct.count > 0 || ct.drop + ct.earlyDrop + ct.insertFailed + ct.invalid > 0);
    const hasRp = rpFilter !== undefined && Object.keys(rpFilter).length > 0;
    const hasRules = s !== undefined && s.rules.length > 0;
    // Most namespaces have nothing to say most samples: no object made for them.
    if (!mib && !hasCt && !hasRp && !hasRules && !(arp && (arp.entries > 0 || arp.unresolved.length > 0))) {
      if (ct !== undefined) this.ctDelta.delete(name);
      return null;
    }
    const p: NsProto = {};
    if (mib) p.mib = mib;
    this.mibNow.delete(name);
    if (hasCt) p.conntrack = ct;
    if (hasRp) p.rpFilter = { ...rpFilter };
    if (arp && arp.entries > 0) p.neighbours = arp.entries;
    if (arp && arp.unresolved.length > 0) p.unresolved = arp.unresolved;
    if (hasRules) {
      p.firewall = s.rules.map(({ total, ...r }) => ({
        ...r,
        packets: total === null ? null : (s.pending.get(ruleKey(r)) ?? 0),
      }));
      s.pending.clear();
    }
    this.ctDelta.delete(name);
    return p;
  }

  /** NETFILTER_DROP came: read the rulesets now (all of them, rate-limited) to see which rule counted. */
  private async triggered(namespaces: readonly NsEntry[]): Promise<void> {
    const now = performance.now();
    const all = now - this.lastAll >= TRIGGER_ALL_MS;
    if (all) this.lastAll = now;
    // Between full reads, only namespaces whose drop rules may be the ones counting.
    const pick = all
      ? namespaces
      : namespaces.filter((ns) => (this.state.get(ns.name)?.rules.length ?? 0) > 0);
    await mapLimit(pick, CONCURRENCY, (ns) => this.readNft(ns));
  }

  /** Rulesets owed a read (a namespace seen for the first time, a failed read's retry); not awaited. */
  private readOwed(namespaces: readonly NsEntry[]): void {
    if (this.nftMissing) return;
    const now = performance.now();
    const pick = namespaces.filter((ns) => {
      const due = this.st(ns.name).nftDue;
      return due !== null && due <= now;
    });
    if (pick.length > 0) void mapLimit(pick, CONCURRENCY, (ns) => this.readNft(ns));
  }

  private async readNft(ns: NsEntry): Promise<void> {
    if (this.nftMissing) return;
    const argv = inNamespace(ns, 'nft', ['-j', 'list', 'ruleset']);
    if (!argv) return;
    const r = await this.guarded(`nft|${ns.name}`, () => {
      this.st(ns.name).nftDue = performance.now() + NFT_RETRY_MS; // until it answers
      return this.run(argv.cmd, argv.args, null);
    });
    if (!r) return;
    if (r.code !== 0) {
      if (/ENOENT|not found|No such file/i.test(r.stderr) && !/nsenter: /.test(r.stderr)) {
        this.nftMissing = true;
        this.log('warn', 'nft is not installed: firewall rules (R13) are not read');
      } else if (/JSON support not compiled-in/.test(r.stderr)) this.noJson();
      return;
    }
    const doc = splitJsonDocuments(r.stdout)[0] ?? null;
    // nft built without libjansson: from 0.9.1 it fails as above; before, -j was ignored and the
    // ruleset came as text, which must not read as "no rules" (SPEC KRN9).
    if (doc === null && r.stdout.trim() !== '') return this.noJson();
    const rules = parseNftRuleset(doc);
    const s = this.st(ns.name);
    const before = new Map(s.rules.map((x) => [ruleKey(x), x.total]));
    for (const x of rules) {
      const prev = before.get(ruleKey(x));
      // The first reading of a rule is its baseline; a reset counter (rule replaced) starts over.
      if (x.total !== null && prev !== undefined && prev !== null && x.total >= prev && x.total > prev) {
        s.pending.set(ruleKey(x), (s.pending.get(ruleKey(x)) ?? 0) + x.total - prev);
      }
    }
    s.rules = rules;
    s.nftDue = null;
  }

  private noJson(): void {
    this.nftMissing = true;
    this.log(
      'warn',
      'this nft has no JSON support (built without libjansson): firewall rules (R13) are not read',
    );
  }

  /** One read of a kind per namespace at a time: a slow namespace never piles up processes. */
  private async guarded<T>(key: string, fn: () => Promise<T>): Promise<T | null> {
    if (this.inflight.has(key)) return null;
    this.inflight.add(key);
    try {
      return await fn();
    } finally {
      this.inflight.delete(key);
    }
  }
}
