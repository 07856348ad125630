import type { HostSummary, HubToUiMessage, Iface, Topology } from '@hopwatch/shared';
import { HOP_STATUSES, HOST_STATUSES, IFACE_KINDS } from '@hopwatch/shared/protocol/constants';
import { parseFrame } from '@hopwatch/shared/protocol/frame';

/**
 * The hub's frames for the UI thread, checked by hand instead of by the wire's zod schemas
 * (HubToUiSchema). zod costs the first picture twice: its schemas are built when the bundle is
 * evaluated (the whole protocol, ~100 ms on a busy 2-core machine) and it walks a 3000-interface
 * topology cold in 100–300 ms. This check accepts and rejects exactly what the schemas do for
 * every field the app reads (test/decodeHub.test.ts runs both over real captures and hostile
 * variations of them, so the two cannot drift) and returns what zod would return: unknown keys
 * dropped, an unknown interface kind as `other`. Sample frames never come here (the judge worker
 * decodes them with zod, off this thread); a `diagnosis` is kept by its type only, since the
 * app reads nothing of it (the browser judges for itself).
 *
 * Takes ownership of a parsed value: objects are checked in place and changed only where zod's
 * output differs from its input (an unknown kind, an unknown key).
 */

/** What the UI thread takes from the hub: the wire's messages, a diagnosis by its type only. */
export type HubFrame = Exclude<HubToUiMessage, { type: 'sample' | 'diagnosis' }> | { type: 'diagnosis' };

export type FrameResult = { ok: true; value: HubFrame } | { ok: false; error: string };

class Bad extends Error {
  constructor(
    readonly at: (string | number)[],
    readonly why: string,
  ) {
    super(why);
  }
}

type Check<T> = (v: unknown) => T;

const fail = (why: string): never => {
  throw new Bad([], why);
};

const str: Check<string> = (v) => (typeof v === 'string' ? v : fail('expected string'));
const str1: Check<string> = (v) =>
  typeof v === 'string'
    ? v.length >= 1
      ? v
      : fail('too small: expected string to have >=1 characters')
    : fail('expected string');
const bool: Check<boolean> = (v) => (typeof v === 'boolean' ? v : fail('expected boolean'));
/** zod's z.number(): finite (JSON.parse turns 1e400 into Infinity). */
const num: Check<number> = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : fail('expected number'));
/** zod's .int(): a safe integer. */
const int: Check<number> = (v) => (Number.isSafeInteger(v) ? (v as number) : fail('expected int'));
const nonNegInt: Check<number> = (v) =>
  int(v) >= 0 ? (v as number) : fail('too small: expected number to be >=0');
const nullable =
  <T>(c: Check<T>): Check<T | null> =>
  (v) =>
    v === null ? null : c(v);
const oneOf = <T extends string>(values: readonly T[]): Check<T> => {
  const set = new Set<unknown>(values);
  return (v) => (set.has(v) ? (v as T) : fail('invalid option'));
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks each element in place (an element zod would change is replaced). */
const arrayOf =
  <T>(c: Check<T>): Check<T[]> =>
  (v) => {
    if (!Array.isArray(v)) return fail('expected array');
    for (let i = 0; i < v.length; i++) {
      try {
        const out = c(v[i]);
        if (out !== v[i]) v[i] = out;
      } catch (e) {
        throw e instanceof Bad ? new Bad([i, ...e.at], e.why) : e;
      }
    }
    return v as T[];
  };

type Shape = Record<string, Check<unknown>>;

/**
 * zod's z.object: every key of the shape checked (an optional one may be absent; zod's
 * `.optional()` takes undefined, which JSON cannot carry), unknown keys dropped.
 */
function object<T>(shape: Shape, optional: readonly string[] = []): Check<T> {
  const keys = Object.keys(shape);
  const checks = keys.map((k) => shape[k]!);
  const isOpt = keys.map((k) => optional.includes(k));
  return (v) => {
    if (!isObject(v)) return fail('expected object');
    let present = 0;
    let i = 0;
    // One try for the object, not one per key: the key is known from `i` when a check throws.
    try {
      for (; i < keys.length; i++) {
        const k = keys[i]!;
        const x = v[k];
        if (x === undefined && isOpt[i]) {
          if (Object.hasOwn(v, k)) present++;
          continue;
        }
        present++;
        const out = checks[i]!(x);
        if (out !== x) v[k] = out;
      }
    } catch (e) {
      throw e instanceof Bad ? new Bad([keys[i]!, ...e.at], e.why) : e;
    }
    // Keys beyond the shape (a newer hub's, or anything): dropped, as zod drops them. Counted
    // with for-in (no array per object); JSON.parse makes own, enumerable, prototype-less keys.
    let own = 0;
    for (const _ in v) own++;
    if (own === present) return v as T;
    const out: Record<string, unknown> = {};
    for (const k of keys) if (Object.hasOwn(v, k)) out[k] = v[k];
    return out as T;
  };
}

const OvsPort = object({
  bridge: str,
  type: str,
  tag: nullable(int),
  trunks: arrayOf(int),
  ofport: nullable(int),
  adminState: nullable(str),
  linkState: nullable(str),
  patchPeer: nullable(str),
  remoteIp: nullable(str),
  error: nullable(str),
  datapathType: nullable(str),
});

const kinds = new Set<unknown>(IFACE_KINDS);
/** IfaceKindSchema is `.catch('other')`: anything (even nothing) that is no known kind is `other`. */
const kind: Check<Iface['kind']> = (v) => (kinds.has(v) ? (v as Iface['kind']) : 'other');

const IfaceCheck = object<Iface>(
  {
    id: str1,
    netns: str,
    name: str1,
    ifindex: int,
    kind,
    driverKind: nullable(str),
    mtu: int,
    operstate: str,
    adminUp: bool,
    carrier: nullable(bool),
    mac: nullable(str),
    addresses: arrayOf(str),
    qdisc: nullable(str),
    txqueuelen: nullable(int),
    rpsCpus: nullable(str),
    master: nullable(str),
    portState: nullable(str),
    peer: nullable(str),
    lower: nullable(str),
    vxlan: nullable(
      object({ vni: nullable(int), port: nullable(int), local: nullable(str), remote: nullable(str) }),
    ),
    ovs: OvsPort,
  },
  ['ovs'],
);

const Netns = object({ name: str, inode: int, forwarding: bool });
const Route = object({ netns: str, dst: str, dev: str, via: nullable(str), src: nullable(str) });
const Truncated = object({
  namespaces: nonNegInt,
  ifaces: nonNegInt,
  routes: nonNegInt,
  addresses: nonNegInt,
});

export const checkTopology = object<Topology>(
  {
    host: str1,
    kernel: str,
    cpus: nonNegInt,
    namespaces: arrayOf(Netns),
    ifaces: arrayOf(IfaceCheck),
    routes: arrayOf(Route),
    truncated: Truncated,
  },
  ['truncated'],
);

const HostSummaryCheck = object<HostSummary>(
  {
    host: str,
    status: oneOf(HOST_STATUSES),
    lastSeen: nullable(int),
    agentVersion: nullable(str),
    ifaceCount: int,
    lossHops: int,
    worst: oneOf(HOP_STATUSES),
    worstHop: nullable(str),
    rule: nullable(str),
  },
  ['worstHop', 'rule'],
);

const MESSAGES: Record<string, Check<HubFrame>> = {
  hosts: object({ type: str, hosts: arrayOf(HostSummaryCheck) }),
  topology: object({ type: str, host: str, t: int, topology: checkTopology }),
  error: object({ type: str, code: str, message: str }),
  pong: object({ type: str, t: num }),
  // Read by nobody: its type is all the app takes (see above).
  diagnosis: () => ({ type: 'diagnosis' }),
};

function describe(e: Bad): string {
  return `invalid message${e.at.length > 0 ? ` at ${e.at.join('.')}` : ''}: ${e.why}`;
}

/** A parsed frame (owned: see above). */
export function decodeHubValue(data: unknown): FrameResult {
  if (!isObject(data)) return { ok: false, error: 'invalid message: expected object' };
  const check =
    typeof data.type === 'string' && Object.hasOwn(MESSAGES, data.type) ? MESSAGES[data.type] : undefined;
  if (check === undefined)
    return { ok: false, error: 'invalid message at type: invalid discriminator value' };
  try {
    return { ok: true, value: check(data) };
  } catch (e) {
    if (e instanceof Bad) return { ok: false, error: describe(e) };
    throw e;
  }
}

/** A frame as the socket gives it: size, JSON, then the check; never throws. */
export function decodeHubFrame(raw: string): FrameResult {
  const parsed = parseFrame(raw);
  return parsed.ok ? decodeHubValue(parsed.value) : parsed;
}
