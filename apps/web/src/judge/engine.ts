import type { Sample, Topology } from '@hopwatch/shared';
import { createRunningWindow } from '@hopwatch/shared/judge/window-running';
import { decodeHubFrame } from '../connection/decodeHub.ts';
import { JUDGE_WINDOW_SAMPLES } from './constants.ts';
import { decodeSample, decodeSampleFrame } from './decodeSample.ts';
import { evaluate, type HopStat } from './evaluate.ts';
import { appendHistory, EMPTY_HISTORY, type History, hopHistory } from './history.ts';
import { packStats } from './pack.ts';
import type { JudgeRequest, JudgeResponse } from './protocol.ts';

export type Judged = Extract<JudgeResponse, { kind: 'judged' }>;

/** What a request asks when it changed the window, the topology or the path. */
const JUDGE = Symbol('judge');

/**
 * How long a host's first judgement waits for its first sample (canWait), counted from when its
 * topology came: the samples follow the topology within a UI-thread task or two; a host that
 * sends none is judged on its topology alone after this.
 */
export const FIRST_SAMPLE_WAIT_MS = 300;

/** What an unwatched hop's stats must still carry to the UI: status, path number, rules, notes. */
const sameCoarse = (a: HopStat, b: HopStat) =>
  a.status === b.status && a.pathIndex === b.pathIndex && a.rules === b.rules && a.notes === b.notes;

/**
 * The judge worker's state machine, without the worker (tested directly): decode a sample frame
 * (by hand: decodeSample.ts), keep the window and the history, judge with the shared code,
 * and answer only the hops whose stats changed plus the selected hop's history. The samples stay
 * here: shipping a thousand rows back to the UI thread every second would cost what we saved.
 */
export function createJudgeEngine(now: () => number = () => performance.now()) {
  let host: string | null = null;
  let topology: Topology | null = null;
  /** When this host's topology came, while its first judgement may still wait (else null). */
  let waitFrom: number | null = null;
  let history: History = EMPTY_HISTORY;
  let from: string | null = null;
  let to: string | null = null;
  let sel: string | null = null;
  let stats = new Map<string, HopStat>();
  /** What the UI thread holds (the last object sent per hop). */
  let sent = new Map<string, HopStat>();
  /** Hops the UI draws with their numbers (null: every hop); the rest get status changes only. */
  let watched: ReadonlySet<string> | null = null;
  let onPath: ReadonlySet<string> = new Set();
  let last: Omit<Judged, 'kind' | 'host' | 'lastT' | 'hop' | 'changed' | 'removed' | 'ms'> | null = null;
  /** The findings last sent, as text: unchanged findings go as null (compared here, off the UI thread). */
  let sentFindings = '';
  /**
   * The judgement window's interface rows as running sums: a tick adds the newest sample and
   * subtracts the one that left instead of re-adding five (3000 interfaces: most of a tick's merge).
   */
  const running = createRunningWindow();

  const hop = () => (sel === null ? null : hopHistory(history.samples, sel));

  /**
   * Hops whose stats the UI must get: a watched hop (drawn with its numbers, on the path, the
   * selection) when anything changed; any other hop only when what its folded group shows
   * changed (status, path number, rules). On a 3000-interface host seen folded that is a handful
   * a tick instead of every hop: the UI thread's work follows what is on screen.
   */
  function diff(): { changed: [string, HopStat][]; removed: string[] } {
    const changed: [string, HopStat][] = [];
    for (const [id, st] of stats) {
      const had = sent.get(id);
      if (had === st) continue;
      const wanted = watched === null || watched.has(id) || id === sel || onPath.has(id);
      if (had !== undefined && !wanted && sameCoarse(had, st)) continue;
      changed.push([id, st]);
      sent.set(id, st);
    }
    const removed = [...sent.keys()].filter((id) => !stats.has(id));
    for (const id of removed) sent.delete(id);
    return { changed, removed };
  }

  function answer(t0: number, findings: Judged['findings']): Judged[] {
    if (host === null || last === null) return [];
    const { changed, removed } = diff();
    return [
      {
        kind: 'judged',
        host,
        lastT: history.samples.at(-1)?.t ?? null,
        hop: hop(),
        changed: packStats(changed),
        removed,
        ...last,
        findings,
        ms: now() - t0,
      },
    ];
  }

  function judge(): Judged[] {
    if (host === null || topology === null) return [];
    const t0 = now();
    const samples = history.samples.slice(-JUDGE_WINDOW_SAMPLES);
    const j = evaluate({ host, topology, samples, from, to, merge: running.merge }, stats);
    stats = j.statsById;
    onPath = new Set(j.path ?? []);
    const findingsKey = JSON.stringify(j.findings);
    const findingsChanged = findingsKey !== sentFindings;
    sentFindings = findingsKey;
    last = {
      findings: j.findings,
      path: j.path,
      pathError: j.pathError,
      pathSuggestions: j.pathSuggestions,
      windowSeconds: j.windowSeconds,
    };
    return answer(t0, findingsChanged ? j.findings : null);
  }

  /** The UI cleared its judgement (another host, back to live): everything goes again. */
  function forgetSent(): void {
    sent = new Map();
    sentFindings = '';
  }

  function take(sample: Sample): boolean {
    const next = appendHistory(history, sample);
    if (next === null) return false;
    history = next;
    return true;
  }

  /** Merge samples into the history in time order (duplicates by end time dropped). */
  function merge(samples: readonly Sample[]): void {
    const byT = new Map<number, Sample>();
    for (const s of [...samples, ...history.samples]) byT.set(s.t, s);
    history = EMPTY_HISTORY;
    for (const s of [...byT.values()].sort((a, b) => a.t - b.t)) take(s);
  }

  /** A recording body: samples validated one by one (a bad one is skipped, not fatal). */
  function parseRecording(raw: string): Sample[] | null {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return null;
    }
    const list = (body as { samples?: unknown }).samples;
    if (!Array.isArray(list)) return null;
    return list.flatMap((x) => {
      const sample = decodeSample(x);
      return sample === null ? [] : [sample];
    });
  }

  function step(req: JudgeRequest): JudgeResponse[] | typeof JUDGE {
    switch (req.kind) {
      case 'reset':
        dirty = false;
        forgetSent();
        last = null;
        host = req.host;
        topology = null;
        waitFrom = null;
        history = EMPTY_HISTORY;
        stats = new Map();
        return [];
      case 'topology':
        if (req.host !== host) return [];
        topology = req.topology;
        if (canWait()) waitFrom ??= now();
        return JUDGE;
      case 'topology-frame': {
        if (req.host !== host) return [];
        const decoded = decodeHubFrame(req.raw);
        if (!decoded.ok || decoded.value.type !== 'topology' || decoded.value.host !== host)
          return [
            { kind: 'bad-frame', error: decoded.ok ? "not this host's topology frame" : decoded.error },
          ];
        topology = decoded.value.topology;
        if (canWait()) waitFrom ??= now();
        return JUDGE;
      }
      case 'frame': {
        const decoded = decodeSampleFrame(req.raw);
        if (!decoded.ok) return [{ kind: 'bad-frame', error: decoded.error }];
        // Another host's late frame, a duplicate or an out-of-order backfill: not this window's.
        if (decoded.value.host !== host || !take(decoded.value.sample)) return [];
        return JUDGE;
      }
      case 'seed': {
        if (req.host !== host) return [];
        const samples = parseRecording(req.raw);
        if (samples === null) return [{ kind: 'bad-frame', error: 'recording: not a recording body' }];
        merge(samples);
        return JUDGE;
      }
      case 'window': {
        if (req.host !== host) return [];
        // The UI cleared its judgement before asking for a new window (back to live, a seek).
        forgetSent();
        history = EMPTY_HISTORY;
        for (const s of [...req.samples].sort((a, b) => a.t - b.t)) take(s);
        return JUDGE;
      }
      case 'append': {
        if (req.host !== host) return [];
        let took = false;
        for (const s of req.samples) took = take(s) || took;
        return took ? JUDGE : [];
      }
      case 'path':
        from = req.from;
        to = req.to;
        return JUDGE;
      case 'watch':
        watched = req.ids === null ? null : new Set(req.ids);
        // Hops that came into view get their current numbers now, not at the next sample (with
        // a judgement due, its answer carries them).
        return dirty ? [] : answer(now(), null);
      case 'select':
        sel = req.id;
        return host === null ? [] : [{ kind: 'hop', host, hop: hop() }];
      default: {
        const never: never = req;
        throw new Error(`unknown judge request ${JSON.stringify(never)}`);
      }
    }
  }

  /** Set by a request whose judgement is due; cleared by the judgement (or a reset). */
  let dirty = false;

  /**
   * Requests that arrived together, judged once after the last of them: a page opening takes
   * the topology and the last seconds' samples at once, and judging each (100–250 ms cold at
   * 3000 interfaces) only delayed the first picture, which shows the last. The answers are the
   * ones the last judgement gives alone (stats diffed against what was sent); bad frames and a
   * hop's history come first, in order.
   */
  function handleAll(reqs: readonly JudgeRequest[], opts: { waitForSample?: boolean } = {}): JudgeResponse[] {
    const out: JudgeResponse[] = [];
    for (const req of reqs) {
      const r = step(req);
      if (r === JUDGE) dirty = true;
      else out.push(...r);
    }
    if (dirty && !(opts.waitForSample === true && (waitLeft() ?? 0) > 0)) {
      dirty = false;
      waitFrom = null;
      out.push(...judge());
    }
    return out;
  }

  /**
   * A host not judged yet, with no sample: its first judgement may wait a moment for one. The hub
   * sends a host's topology and its last seconds' samples together, but they reach the worker
   * through the UI thread, which is busy drawing the topology when the samples come: judging the
   * topology alone first cost ~300 ms of worker time (3000 interfaces, a busy machine) and a
   * 3000-hop answer for the UI thread, all before the judgement the first picture waits for.
   */
  const canWait = () => last === null && history.samples.length === 0;

  /**
   * How long the held first judgement may still wait for a sample, ms (0: give it now), or null
   * when none is held. Counted from the topology, not from the first request: a wait started
   * before the topology (a worker started by the page's entry is told the host and path at once)
   * ran out while the topology was on its way, and the topology was judged alone just before its
   * samples came (~250 ms of worker time on the way to the first picture, profile.ts).
   * Nothing to judge yet (no topology): nothing is held, null.
   */
  function waitLeft(): number | null {
    if (!dirty || topology === null || !canWait()) return null;
    return Math.max(0, FIRST_SAMPLE_WAIT_MS - (now() - (waitFrom ?? now())));
  }

  return {
    handle: (req: JudgeRequest) => handleAll([req]),
    handleAll,
    /** A judgement is held back (handleAll with waitForSample): handleAll([]) gives it. */
    due: () => dirty,
    waitLeft,
  };
}
