import { diagnose, resolveIface } from '@hopwatch/shared';
import { type Request, type Response, Router } from 'express';
import type { HubCore } from '../core.ts';
import { parseTime } from '../time.ts';
import { storedSamples, timeline } from './timeline.ts';

/** A recording response holds at most this many samples (1 h at 1 Hz); page on with nextStart. */
export const RECORDING_MAX_SAMPLES = 3600;
/** And at most this many topology versions (a churning host's hour could hold thousands). */
export const RECORDING_MAX_TOPOLOGIES = 60;
export const DIAGNOSIS_DEFAULT_SECONDS = 10;
const DIAGNOSIS_MAX_SECONDS = 3600;
/** A diagnosis judges at most this many samples (an hour at 1 Hz). */
export const DIAGNOSIS_MAX_SAMPLES = 3600;

function query(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return undefined;
}

function fail(res: Response, status: number, error: string, extra: Record<string, unknown> = {}): void {
  res.status(status).json({ error, ...extra });
}

/** GET /api/hosts… (design.md "Hub"). Errors are JSON `{ error, ... }` with a helpful extra. */
export function apiRouter(core: HubCore): Router {
  const router = Router();
  const { store } = core;

  router.get('/hosts', (_req, res) => {
    core.refreshJudgements();
    res.json({ hosts: core.hostSummaries() });
  });

  /** Every /hosts/:host route: 404 naming the known hosts when the host is unknown. */
  router.use('/hosts/:host', (req, res, next) => {
    const host = req.params.host ?? '';
    if (core.knowsHost(host)) return next();
    fail(res, 404, `unknown host "${host}"`, { knownHosts: core.hostSummaries().map((h) => h.host) });
  });

  router.get('/hosts/:host/topology', async (req, res) => {
    const host = req.params.host;
    // Another replica's host (a fleet): its latest version from the shared recording.
    let topo = core.hosts.get(host)?.topology;
    if (!topo && store.load) {
      await store.load(host, Date.now(), Date.now());
      topo = store.topologyAt(host, Number.MAX_SAFE_INTEGER) ?? undefined;
    }
    if (!topo) return fail(res, 404, `no topology received from "${host}" yet`);
    res.json({ host, t: topo.t, topology: topo.topology });
  });

  router.get('/hosts/:host/diagnosis', async (req, res) => {
    const host = req.params.host;
    const tRaw = query(req, 't');
    const end = tRaw === undefined || tRaw === 'live' ? store.lastT(host) : parseTime(tRaw);
    if (end === null) {
      return tRaw === undefined
        ? fail(res, 404, `no samples recorded for "${host}" yet`)
        : fail(res, 400, `t must be ms since the epoch or an ISO time, got "${tRaw}"`);
    }
    const seconds = Number(query(req, 'seconds') ?? DIAGNOSIS_DEFAULT_SECONDS);
    if (!Number.isFinite(seconds) || seconds <= 0 || seconds > DIAGNOSIS_MAX_SECONDS)
      return fail(res, 400, `seconds must be a number in (0, ${DIAGNOSIS_MAX_SECONDS}]`);
    const windowStart = Math.floor(end - seconds * 1000) + 1;
    await store.load?.(host, windowStart, end);
    // Counted before anything is decoded: an agent at 100 ms puts 36 000 samples in an hour.
    const stored = storedSamples(store, host, windowStart, end);
    if (stored > DIAGNOSIS_MAX_SAMPLES)
      return fail(
        res,
        400,
        `that window holds about ${stored} samples of "${host}", more than ${DIAGNOSIS_MAX_SAMPLES}: ask for fewer seconds`,
      );
    const rec = store.readRange(host, windowStart, end);
    const topology = rec.topologies.filter((v) => v.t <= end).at(-1) ?? rec.topologies[0];
    if (!topology) return fail(res, 404, `no topology received from "${host}" yet`);
    // A bare name only one namespace has (qg-a1) means that interface, as on the command line;
    // anything else goes to diagnose() as given, which says "no path" with the closest ids.
    const resolve = (id: string | undefined) => {
      if (id === undefined || id === '') return null;
      const r = resolveIface(topology.topology, id);
      return r.ok ? r.id : id;
    };
    const from = resolve(query(req, 'from'));
    const to = resolve(query(req, 'to'));
    res.json(diagnose({ host, topology: topology.topology, samples: rec.samples, from, to }));
  });

  router.get('/hosts/:host/recording', async (req, res) => {
    const host = req.params.host;
    const start = parseTime(query(req, 'start'));
    const end = parseTime(query(req, 'end'));
    if (start === null || end === null || end < start)
      return fail(res, 400, 'start and end are required (ms since the epoch or ISO times), start ≤ end');
    const t0 = performance.now();
    await store.load?.(host, start, end);
    const t1 = performance.now();
    const rec = store.readRange(host, start, end, {
      maxSamples: RECORDING_MAX_SAMPLES,
      maxTopologies: RECORDING_MAX_TOPOLOGIES,
    });
    const t2 = performance.now();
    // res.json's own text, stringified here so the header can say what it cost.
    const body = JSON.stringify({
      host,
      start,
      end,
      topologies: rec.topologies,
      samples: rec.samples,
      truncated: rec.truncated,
      nextStart: rec.nextStart,
    });
    const t3 = performance.now();
    // Where a seek's time went, for bench:fleet and an operator's browser tools (issue 12).
    const ms = (a: number, b: number) => (b - a).toFixed(1);
    res.set('Server-Timing', `load;dur=${ms(t0, t1)}, read;dur=${ms(t1, t2)}, json;dur=${ms(t2, t3)}`);
    res.type('application/json').send(body);
  });

  router.get('/hosts/:host/timeline', async (req, res) => {
    const host = req.params.host;
    const start = parseTime(query(req, 'start'));
    const end = parseTime(query(req, 'end'));
    const buckets = Number(query(req, 'buckets') ?? 100);
    if (start === null || end === null || end <= start)
      return fail(res, 400, 'start and end are required (ms since the epoch or ISO times), start < end');
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > 2000)
      return fail(res, 400, 'buckets must be an integer from 1 to 2000');
    await store.load?.(host, start, end);
    res.json(timeline(store, host, start, end, buckets));
  });

  router.use((req, res) => {
    fail(res, 404, `no API route ${req.method} /api${req.path}`, {
      routes: [
        'GET /api/hosts',
        'GET /api/hosts/:host/topology',
        'GET /api/hosts/:host/diagnosis?from=IF&to=IF&t=&seconds=',
        'GET /api/hosts/:host/recording?start=&end=',
        'GET /api/hosts/:host/timeline?start=&end=&buckets=',
      ],
    });
  });

  return router;
}
