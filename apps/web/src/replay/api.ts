// First: the hub's CSP forbids eval, so zod runs jitless (auth/csp.ts) before a schema is built.
import '../auth/csp.ts';
import {
  type HopStatus,
  HopStatusSchema,
  IFACE_COUNTERS,
  SampleSchema,
  TopologySchema,
} from '@hopwatch/shared';
import { z } from 'zod';
import { CHANGE_HEADERS, signedOut } from '../auth/session.ts';
import type { TopologyVersion } from './buffer.ts';

/**
 * The hub's replay routes, typed and checked: a response is data from the network, decoded with
 * the wire's own schemas before the store sees it (style.md, "trusting the wire").
 */

const MarkSchema = z.object({
  id: z.string(),
  name: z.string(),
  hosts: z.array(z.string()).nullable(),
  start: z.number(),
  end: z.number(),
  created: z.number(),
  updated: z.number(),
});
export type Mark = z.infer<typeof MarkSchema>;

const ReplayInfoSchema = z.object({
  source: z.enum(['live', 'file']),
  file: z.string().nullable(),
  hosts: z.array(z.object({ host: z.string(), start: z.number(), end: z.number() })),
  recordings: z.array(MarkSchema),
});
export type ReplayInfo = z.infer<typeof ReplayInfoSchema>;

const BucketSchema = z.object({
  start: z.number(),
  end: z.number(),
  samples: z.number(),
  worst: HopStatusSchema.nullable(),
  drops: z.number(),
  lossHops: z.number(),
});
const TimelineSchema = z.object({
  host: z.string(),
  start: z.number(),
  end: z.number(),
  bucketMs: z.number(),
  buckets: z.array(BucketSchema),
});
export type Timeline = z.infer<typeof TimelineSchema>;
export type TimelineBucket = z.infer<typeof BucketSchema>;
export type { HopStatus };

/**
 * Interface rows checked by hand: zod over a page of a 1000-interface host (30 000 rows of 16
 * numbers) took ~30 ms of main thread per page; this loop checks the same (16 finite numbers
 * ≥ 0 per row) in ~2 ms. Everything else in a sample still goes through the wire's schema.
 */
function validRows(x: unknown): boolean {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  for (const row of Object.values(x)) {
    if (!Array.isArray(row) || row.length !== IFACE_COUNTERS.length) return false;
    for (const v of row)
      if (typeof v !== 'number' || !(v >= 0) || v === Number.POSITIVE_INFINITY) return false;
  }
  return true;
}

const ReplaySampleSchema = SampleSchema.omit({ ifaces: true }).extend({
  ifaces: z.custom<Record<string, number[]>>(validRows, 'interface rows must be 16 counters ≥ 0'),
});

const RecordingPageSchema = z.object({
  host: z.string(),
  topologies: z.array(z.object({ t: z.number(), topology: TopologySchema })),
  samples: z.array(ReplaySampleSchema),
});
export type RecordingPage = { samples: z.infer<typeof ReplaySampleSchema>[]; topologies: TopologyVersion[] };

export class HubRequestError extends Error {}

/** Times a read answered 503 (a fleet's NATS cluster electing a leader) is asked again. */
export const UNAVAILABLE_RETRIES = 3;
/** The longest wait a Retry-After may ask of one retry, s. */
const RETRY_AFTER_MAX_S = 10;

/**
 * fetch, and for a read (GET) that the hub answers 503 with Retry-After (docs/fleet.md, "A read
 * during a failover"), the same request again after that wait, at most UNAVAILABLE_RETRIES
 * times: a failover of seconds costs the operator a pause, not an error. Anything that changes
 * state is not repeated.
 */
export async function fetchRetrying(
  url: string,
  init?: RequestInit,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<Response> {
  const read = (init?.method ?? 'GET').toUpperCase() === 'GET';
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, init);
    const header = res.headers.get('retry-after');
    const after = header === null ? Number.NaN : Number(header);
    if (!read || res.status !== 503 || attempt >= UNAVAILABLE_RETRIES || !(after >= 0)) return res;
    await res.body?.cancel();
    await sleep(Math.min(after, RETRY_AFTER_MAX_S) * 1000);
  }
}

async function getJson<S extends z.ZodType>(url: string, schema: S, init?: RequestInit): Promise<z.infer<S>> {
  const res = await fetchRetrying(url, init);
  const body: unknown = await res.json().catch(() => null);
  if (res.status === 401) signedOut();
  if (!res.ok) {
    const said = (body as { error?: unknown } | null)?.error;
    throw new HubRequestError(typeof said === 'string' ? said : `${res.status} ${res.statusText}`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new HubRequestError(`unexpected answer from ${url.split('?')[0]}`);
  return parsed.data;
}

const hostPath = (host: string) => `/api/hosts/${encodeURIComponent(host)}`;

export const fetchReplayInfo = () => getJson('/api/replay', ReplayInfoSchema);

export function fetchTimeline(host: string, start: number, end: number, buckets: number): Promise<Timeline> {
  return getJson(`${hostPath(host)}/timeline?start=${start}&end=${end}&buckets=${buckets}`, TimelineSchema);
}

export async function fetchPage(host: string, start: number, end: number): Promise<RecordingPage> {
  const r = await getJson(`${hostPath(host)}/recording?start=${start}&end=${end}`, RecordingPageSchema);
  return { samples: r.samples, topologies: r.topologies };
}

/**
 * The recording of [start, end] as the hub's text, unparsed: the judge worker decodes it (a
 * `seed` request). null when the hub has none (an older hub, a host without recordings).
 */
export async function fetchRecordingText(host: string, start: number, end: number): Promise<string | null> {
  const res = await fetchRetrying(`${hostPath(host)}/recording?start=${start}&end=${end}`);
  return res.ok ? res.text() : null;
}

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...CHANGE_HEADERS },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
});

export function createMark(input: { name: string; hosts: string[] | null; start: number; end: number }) {
  return getJson('/api/recordings', MarkSchema, json('POST', input));
}

export function renameMark(id: string, name: string) {
  return getJson(`/api/recordings/${encodeURIComponent(id)}`, MarkSchema, json('PATCH', { name }));
}

export async function deleteMark(id: string): Promise<void> {
  const res = await fetch(`/api/recordings/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    headers: CHANGE_HEADERS,
  });
  if (!res.ok && res.status !== 404) throw new HubRequestError(`${res.status} ${res.statusText}`);
}

export function exportUrl(q: { rec?: string; host?: string; start?: number; end?: number }): string {
  if (q.rec !== undefined) return `/api/export?rec=${encodeURIComponent(q.rec)}`;
  const p = new URLSearchParams();
  if (q.host !== undefined) p.set('hosts', q.host);
  if (q.start !== undefined) p.set('start', String(Math.floor(q.start)));
  if (q.end !== undefined) p.set('end', String(Math.ceil(q.end)));
  return `/api/export?${p}`;
}
