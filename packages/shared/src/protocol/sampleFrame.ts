import type { AgentMessage } from './messages.ts';
import { IFACE_COUNTERS } from './constants.ts';
import type { NsProto, OvsSample, Sample } from './model.ts';

/**
 * The hub's hot path: every agent sends one `sample` frame a second, 1000 interface rows of 16
 * counters each, and zod's general machinery over those ~16 000 numbers cost the hub more CPU
 * than parsing the JSON did (issue 12). This is AgentSampleSchema's acceptance written out by
 * hand for values that came out of JSON.parse: the same types, bounds and shapes, unknown keys
 * dropped as zod drops them, a record's `__proto__` key skipped as zod skips it, the protocol
 * parts (`nsproto`, `ovs`) included. sampleFrame.test.ts runs both over the same valid and hostile
 * frames so the two cannot drift: change one, the test names the other. No zod here: the web
 * app's judge worker checks its samples with this and starts without building zod's schemas.
 */
export type SampleMessage = Extract<AgentMessage, { type: 'sample' }>;

const WIDTH = IFACE_COUNTERS.length;

/** Thrown with the path of the first bad value; caught in validateSampleFrame. */
class Invalid {
  constructor(
    readonly path: string,
    readonly message: string,
  ) {}
}

/** A plain object, as JSON.parse makes them (a Map or a Date passed by a caller is not one). */
function isObj(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (!isObj(v)) throw new Invalid(path, 'expected object');
  return v;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new Invalid(path, 'expected array');
  return v;
}

function num(v: unknown, path: string): number {
  // z.number() refuses NaN and ±Infinity (JSON has neither, but a non-JSON caller might).
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Invalid(path, 'expected number');
  return v;
}

/** z.number().nonnegative() */
function count(v: unknown, path: string): number {
  const n = num(v, path);
  if (n < 0) throw new Invalid(path, 'expected number to be >=0');
  return n;
}

/** z.number().int(): zod 4 takes safe integers only. */
function int(v: unknown, path: string): number {
  const n = num(v, path);
  if (!Number.isSafeInteger(n)) throw new Invalid(path, 'expected int');
  return n;
}

/** z.number().int().nonnegative() */
function uint(v: unknown, path: string): number {
  const n = int(v, path);
  if (n < 0) throw new Invalid(path, 'expected number to be >=0');
  return n;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new Invalid(path, 'expected string');
  return v;
}

/**
 * z.record(z.string(), value): every own key but `__proto__` (which zod skips unread, so JSON's
 * `"__proto__"` cannot replace the result's prototype), values checked by `value`. The input
 * object is returned as it is when nothing changed (no `__proto__`, values returned unchanged):
 * the same keys in the same order as zod's copy, without the copy.
 */
function record<T>(v: unknown, path: string, value: (x: unknown, path: string) => T): Record<string, T> {
  const o = obj(v, path);
  let copy: Record<string, T> | null = null;
  const keys = Object.keys(o);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (k === '__proto__') {
      copy ??= copyBefore(o, keys, i);
      continue;
    }
    const x = o[k];
    const out = value(x, path === '' ? k : `${path}.${k}`);
    if (copy) copy[k] = out;
    else if (out !== x) {
      copy = copyBefore(o, keys, i);
      copy[k] = out;
    }
  }
  return copy ?? (o as Record<string, T>);
}

function copyBefore<T>(o: Record<string, unknown>, keys: string[], end: number): Record<string, T> {
  const copy: Record<string, T> = {};
  for (let j = 0; j < end; j++) if (keys[j] !== '__proto__') copy[keys[j]!] = o[keys[j]!] as T;
  return copy;
}

/** IfaceRowSchema: exactly WIDTH non-negative numbers. The array itself is kept. */
function ifaceRow(v: unknown, path: string): number[] {
  const a = arr(v, path);
  if (a.length !== WIDTH) throw new Invalid(path, `expected array of ${WIDTH} items`);
  for (let i = 0; i < WIDTH; i++) {
    const n = a[i];
    // The common case inline: a plain non-negative finite number.
    if (!(typeof n === 'number' && n >= 0 && n <= Number.MAX_VALUE)) count(n, `${path}.${i}`);
  }
  return a as number[];
}

function softnet(v: unknown, path: string): Sample['softnet'][number] {
  const o = obj(v, path);
  const backlogLen = o.backlogLen === null ? null : count(o.backlogLen, `${path}.backlogLen`);
  return {
    cpu: uint(o.cpu, `${path}.cpu`),
    processed: count(o.processed, `${path}.processed`),
    dropped: count(o.dropped, `${path}.dropped`),
    timeSqueeze: count(o.timeSqueeze, `${path}.timeSqueeze`),
    receivedRps: count(o.receivedRps, `${path}.receivedRps`),
    flowLimit: count(o.flowLimit, `${path}.flowLimit`),
    backlogLen,
  };
}

function qdisc(v: unknown, path: string): Sample['qdiscs'][string] {
  const o = obj(v, path);
  return {
    kind: str(o.kind, `${path}.kind`),
    packets: count(o.packets, `${path}.packets`),
    bytes: count(o.bytes, `${path}.bytes`),
    drops: count(o.drops, `${path}.drops`),
    overlimits: count(o.overlimits, `${path}.overlimits`),
    requeues: count(o.requeues, `${path}.requeues`),
    qlen: count(o.qlen, `${path}.qlen`),
  };
}

function drop(v: unknown, path: string): Sample['drops'][number] {
  const o = obj(v, path);
  return {
    reason: str(o.reason, `${path}.reason`),
    location: str(o.location, `${path}.location`),
    cpu: uint(o.cpu, `${path}.cpu`),
    count: count(o.count, `${path}.count`),
  };
}

const TRACING_STATES = new Set(['on', 'off', 'unavailable']);

function tracing(v: unknown, path: string): Sample['tracing'] {
  const o = obj(v, path);
  if (typeof o.state !== 'string' || !TRACING_STATES.has(o.state))
    throw new Invalid(`${path}.state`, 'expected one of "on"|"off"|"unavailable"');
  const detail = o.detail === null ? null : str(o.detail, `${path}.detail`);
  return { state: o.state as Sample['tracing']['state'], detail, lost: count(o.lost, `${path}.lost`) };
}

function list<T>(v: unknown, path: string, item: (x: unknown, path: string) => T): T[] {
  const a = arr(v, path);
  const out: T[] = new Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = item(a[i], `${path}.${i}`);
  return out;
}

/** `.nullable()`: null, or what `check` accepts. */
function nullable<T>(v: unknown, path: string, check: (x: unknown, path: string) => T): T | null {
  return v === null ? null : check(v, path);
}

/** z.enum(values) */
function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v))
    throw new Invalid(path, `expected one of ${values.map((x) => `"${x}"`).join('|')}`);
  return v as T;
}

/** ConntrackStatSchema */
function conntrack(v: unknown, path: string): NonNullable<NsProto['conntrack']> {
  const o = obj(v, path);
  return {
    count: count(o.count, `${path}.count`),
    drop: count(o.drop, `${path}.drop`),
    earlyDrop: count(o.earlyDrop, `${path}.earlyDrop`),
    insertFailed: count(o.insertFailed, `${path}.insertFailed`),
    invalid: count(o.invalid, `${path}.invalid`),
  };
}

const VERDICTS = ['drop', 'reject'] as const;

/** FirewallRuleSchema */
function firewallRule(v: unknown, path: string): NonNullable<NsProto['firewall']>[number] {
  const o = obj(v, path);
  return {
    family: str(o.family, `${path}.family`),
    table: str(o.table, `${path}.table`),
    chain: str(o.chain, `${path}.chain`),
    hook: nullable(o.hook, `${path}.hook`, str),
    handle: int(o.handle, `${path}.handle`),
    verdict: oneOf(o.verdict, `${path}.verdict`, VERDICTS),
    text: str(o.text, `${path}.text`),
    packets: nullable(o.packets, `${path}.packets`, count),
  };
}

/** NsProtoSchema: every field optional, absent ones left out (as zod leaves them). */
function nsproto(v: unknown, path: string): NsProto {
  const o = obj(v, path);
  const out: NsProto = {};
  if (o.conntrack !== undefined) out.conntrack = conntrack(o.conntrack, `${path}.conntrack`);
  if (o.rpFilter !== undefined) out.rpFilter = record(o.rpFilter, `${path}.rpFilter`, int);
  if (o.neighbours !== undefined) out.neighbours = uint(o.neighbours, `${path}.neighbours`);
  if (o.unresolved !== undefined)
    out.unresolved = list(o.unresolved, `${path}.unresolved`, (x, p) => {
      const u = obj(x, p);
      return { ip: str(u.ip, `${p}.ip`), dev: str(u.dev, `${p}.dev`) };
    });
  if (o.firewall !== undefined) out.firewall = list(o.firewall, `${path}.firewall`, firewallRule);
  if (o.mib !== undefined) out.mib = record(o.mib, `${path}.mib`, count);
  return out;
}

const OVS_STATES = ['online', 'offline'] as const;

/** OvsSampleSchema */
function ovs(v: unknown, path: string): OvsSample {
  const o = obj(v, path);
  const out: OvsSample = {
    state: oneOf(o.state, `${path}.state`, OVS_STATES),
    detail: nullable(o.detail, `${path}.detail`, str),
  };
  if (o.datapaths !== undefined)
    out.datapaths = list(o.datapaths, `${path}.datapaths`, (x, p) => {
      const d = obj(x, p);
      return {
        name: str(d.name, `${p}.name`),
        hit: count(d.hit, `${p}.hit`),
        missed: count(d.missed, `${p}.missed`),
        lost: count(d.lost, `${p}.lost`),
        flows: count(d.flows, `${p}.flows`),
      };
    });
  if (o.coverage !== undefined) out.coverage = record(o.coverage, `${path}.coverage`, count);
  if (o.dropFlows !== undefined)
    out.dropFlows = list(o.dropFlows, `${path}.dropFlows`, (x, p) => {
      const f = obj(x, p);
      return {
        bridge: str(f.bridge, `${p}.bridge`),
        table: uint(f.table, `${p}.table`),
        priority: int(f.priority, `${p}.priority`),
        match: str(f.match, `${p}.match`),
        cookie: str(f.cookie, `${p}.cookie`),
        packets: count(f.packets, `${p}.packets`),
      };
    });
  return out;
}

function sample(v: unknown, path: string): Sample {
  const o = obj(v, path);
  const t = uint(o.t, `${path}.t`);
  const elapsedMs = num(o.elapsedMs, `${path}.elapsedMs`);
  if (elapsedMs <= 0) throw new Invalid(`${path}.elapsedMs`, 'expected number to be >0');
  const out: Sample = {
    t,
    elapsedMs,
    ifaces: record(o.ifaces, `${path}.ifaces`, ifaceRow),
    softnet: list(o.softnet, `${path}.softnet`, softnet),
    qdiscs: record(o.qdiscs, `${path}.qdiscs`, qdisc),
    snmp: record(o.snmp, `${path}.snmp`, (x, p) => record(x, p, num)),
    drops: list(o.drops, `${path}.drops`, drop),
    sysctls: record(o.sysctls, `${path}.sysctls`, num),
    tracing: tracing(o.tracing, `${path}.tracing`),
  };
  if (o.nsproto !== undefined) out.nsproto = record(o.nsproto, `${path}.nsproto`, nsproto);
  if (o.ovs !== undefined) out.ovs = ovs(o.ovs, `${path}.ovs`);
  return out;
}

export type FrameCheck<T> = { ok: true; value: T } | { ok: false; path: string; message: string };

/**
 * AgentSampleSchema.safeParse for a value from JSON.parse whose `type` is "sample": the same
 * acceptance, the same output (unknown keys dropped). Only for JSON values: getters, symbols,
 * prototypes and holes are not looked for (decodeWith sends anything else to zod).
 */
export function checkSampleFrame(v: unknown): FrameCheck<SampleMessage> {
  try {
    const o = obj(v, '');
    if (o.type !== 'sample') throw new Invalid('type', 'expected "sample"');
    const seq = uint(o.seq, 'seq');
    if (typeof o.backfill !== 'boolean') throw new Invalid('backfill', 'expected boolean');
    return {
      ok: true,
      value: { type: 'sample', seq, backfill: o.backfill, sample: sample(o.sample, 'sample') },
    };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, path: e.path, message: e.message };
    throw e;
  }
}

/**
 * SampleSchema.safeParse for a sample from elsewhere than an agent's frame (a stored chunk decoded
 * by the hub): the same acceptance and output as inside checkSampleFrame.
 */
export function checkSample(v: unknown): FrameCheck<Sample> {
  try {
    return { ok: true, value: sample(v, '') };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, path: e.path, message: e.message };
    throw e;
  }
}
