/**
 * Parsers for the per-namespace protocol state the R11-R16 rules need (issue 10): conntrack
 * statistics, the ARP table, rp_filter from `ip -j netconf`, and drop/reject rules from
 * `nft -j list ruleset`. Pure: text in, plain data out; odd input gives empty results, never a throw.
 */
import type { FirewallRule } from '@hopwatch/shared';
import { arr, isObject, type Json, type JsonObject, num, obj, str } from '../parse/json.ts';

/** Totals of /proc/PID/net/stat/nf_conntrack, summed over the per-CPU rows (hex u32 each). */
export interface ConntrackTotals {
  /** The namespace's connection count (`entries`, printed on every row). */
  entries: number;
  drop: number;
  earlyDrop: number;
  insertFailed: number;
  invalid: number;
}

export function parseConntrackStat(text: string): ConntrackTotals | null {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0]?.trim().split(/\s+/) ?? [];
  if (header[0] !== 'entries') return null;
  const col = (name: string) => header.indexOf(name);
  const at = {
    drop: col('drop'),
    earlyDrop: col('early_drop'),
    insertFailed: col('insert_failed'),
    invalid: col('invalid'),
  };
  const out: ConntrackTotals = { entries: 0, drop: 0, earlyDrop: 0, insertFailed: 0, invalid: 0 };
  for (const line of lines.slice(1)) {
    const v = line
      .trim()
      .split(/\s+/)
      .map((h) => Number.parseInt(h, 16));
    out.entries = v[0] ?? 0;
    for (const k of ['drop', 'earlyDrop', 'insertFailed', 'invalid'] as const) {
      const i = at[k];
      if (i >= 0) out[k] += v[i] ?? 0;
    }
  }
  return out;
}

/** /proc/PID/net/arp: entries, and those not resolved (ATF_COM unset: incomplete or failed). */
export function parseArp(text: string): { entries: number; unresolved: { ip: string; dev: string }[] } {
  const unresolved: { ip: string; dev: string }[] = [];
  let entries = 0;
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    entries++;
    const flags = Number.parseInt(f[2] ?? '0', 16);
    // ATF_COM (0x2): completed. Permanent entries carry 0x6; an entry waiting or failed has 0x0.
    if ((flags & 0x2) === 0) unresolved.push({ ip: f[0]!, dev: f[5]! });
  }
  return { entries, unresolved };
}

const RP_FILTER: Record<string, number> = { off: 0, strict: 1, loose: 2 };

/** `ip -j netconf show`: the non-zero IPv4 rp_filter values by interface name (and `all`). */
export function parseRpFilter(doc: Json | null): Record<string, number> {
  const out: Record<string, number> = {};
  if (!Array.isArray(doc)) return out;
  for (const e of doc) {
    if (!isObject(e) || str(e, 'family') !== 'inet') continue;
    const name = str(e, 'interface');
    const raw = e.rp_filter;
    const v = typeof raw === 'number' ? raw : typeof raw === 'string' ? RP_FILTER[raw] : undefined;
    if (name !== null && name !== 'default' && v !== undefined && v > 0) out[name] = v;
  }
  return out;
}

/** A rule's matches in nft's own words (enough to recognise it; not a full nft printer). */
function exprText(e: Json): string | null {
  if (!isObject(e)) return JSON.stringify(e);
  const match = obj(e, 'match');
  if (match) {
    const op = str(match, 'op');
    return `${valueText(match.left ?? null)}${op === '==' || op === 'in' ? '' : ` ${op}`} ${valueText(match.right ?? null)}`;
  }
  if ('counter' in e) return null;
  if ('drop' in e) return 'drop';
  if ('accept' in e) return 'accept';
  const reject = obj(e, 'reject');
  if ('reject' in e) return reject && str(reject, 'expr') ? `reject with ${str(reject, 'expr')}` : 'reject';
  const key = Object.keys(e)[0];
  return key === undefined ? null : `${key} ${valueText(e[key] ?? null)}`.trim();
}

function valueText(v: Json): string {
  if (v === null) return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(valueText).join(', ');
  const payload = obj(v, 'payload');
  if (payload) return `${str(payload, 'protocol') ?? ''} ${str(payload, 'field') ?? ''}`.trim();
  const meta = obj(v, 'meta');
  if (meta) return `meta ${str(meta, 'key') ?? ''}`;
  const ct = obj(v, 'ct');
  if (ct) return `ct ${str(ct, 'key') ?? ''}`;
  const numgen = obj(v, 'numgen');
  if (numgen) return `numgen ${str(numgen, 'mode') ?? ''} mod ${num(numgen, 'mod') ?? ''}`;
  const prefix = obj(v, 'prefix');
  if (prefix) return `${str(prefix, 'addr') ?? ''}/${num(prefix, 'len') ?? ''}`;
  if ('set' in v) return `{ ${valueText(v.set ?? null)} }`;
  if ('range' in v) return valueText(v.range ?? null).replace(', ', '-');
  return JSON.stringify(v);
}

/**
 * `nft -j list ruleset`: every rule ending in drop or reject, and every base chain whose policy
 * is drop (handle 0, no counter), with its counter's packet total (null: the rule has no counter).
 */
export function parseNftRuleset(
  doc: Json | null,
): (Omit<FirewallRule, 'packets'> & { total: number | null })[] {
  const items = isObject(doc) ? arr(doc, 'nftables') : [];
  const hooks = new Map<string, string | null>();
  const out: (Omit<FirewallRule, 'packets'> & { total: number | null })[] = [];
  for (const it of items) {
    const chain = isObject(it) ? obj(it, 'chain') : null;
    if (!chain) continue;
    const family = str(chain, 'family') ?? '';
    const table = str(chain, 'table') ?? '';
    const name = str(chain, 'name') ?? '';
    const hook = str(chain, 'hook');
    hooks.set(`${family}|${table}|${name}`, hook);
    if (hook !== null && str(chain, 'policy') === 'drop') {
      out.push({
        family,
        table,
        chain: name,
        hook,
        handle: 0,
        verdict: 'drop',
        text: 'policy drop',
        total: null,
      });
    }
  }
  for (const it of items) {
    const rule: JsonObject | null = isObject(it) ? obj(it, 'rule') : null;
    if (!rule) continue;
    const exprs = arr(rule, 'expr');
    const last = exprs.at(-1);
    const verdict = isObject(last) ? ('drop' in last ? 'drop' : 'reject' in last ? 'reject' : null) : null;
    if (verdict === null) continue;
    const counter =
      exprs.map((e) => (isObject(e) ? obj(e, 'counter') : null)).find((c) => c !== null) ?? null;
    const family = str(rule, 'family') ?? '';
    const table = str(rule, 'table') ?? '';
    const chain = str(rule, 'chain') ?? '';
    const comment = str(rule, 'comment');
    const text = exprs
      .map(exprText)
      .filter((t): t is string => t !== null && t !== '')
      .join(' ');
    out.push({
      family,
      table,
      chain,
      hook: hooks.get(`${family}|${table}|${chain}`) ?? null,
      handle: num(rule, 'handle') ?? 0,
      verdict,
      text: comment ? `${text} comment "${comment}"` : text,
      total: counter ? (num(counter, 'packets') ?? 0) : null,
    });
  }
  return out;
}
