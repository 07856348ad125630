import { JUDGE_WINDOW_SAMPLES } from '../judge/constants.ts';
import type { JudgeClient } from '../judge/client.ts';
import { HISTORY_MAX_SAMPLES } from '../store/liveSlice.ts';
import type { AppState, AppStore } from '../store/index.ts';
import {
  fetchPage,
  fetchRecordingText,
  fetchReplayInfo,
  fetchTimeline,
  HubRequestError,
  type Timeline,
} from './api.ts';
import { PAGE_MS, pageEnd, pageOf, pageStart, pagesForWindow } from './buffer.ts';
import { startClock } from './clock.ts';
import { createFeeder, type Feeder } from './feeder.ts';
import { createPager, type FetchPage } from './pager.ts';
import { selectReplayActive } from './replaySlice.ts';

export { PLAYBACK_TICK_MS } from './clock.ts';
/** How often the heat strip and recorded range are refreshed (the recording keeps growing). */
export const TIMELINE_REFRESH_MS = 10_000;
export const TIMELINE_BUCKETS = 300;
/** The hub's chunk length: strips with buckets this long come from its chunk summaries. */
const SUMMARY_BUCKET_MS = 10_000;
/** …once that still gives this many buckets (a 10-minute recording: 1 s buckets, judged raw). */
const MIN_SUMMARY_BUCKETS = 60;
/** The judgement window reaches this far back at the agents' default 1 s interval, with slack. */
const WINDOW_SPAN_MS = (JUDGE_WINDOW_SAMPLES + 1) * 1000;
/** Sparklines: the same five minutes the live view keeps. */
const HISTORY_SPAN_MS = HISTORY_MAX_SAMPLES * 1000;
/** While playing, keep this much wall-clock time of data loaded ahead of the playhead. */
const PREFETCH_WALL_MS = 15_000;
/**
 * Jump-to-loss refines a strip bucket in rounds of this many sub-buckets down to 1 s: each
 * sub-bucket costs the hub one localize, so 288 s → 20 × 15 s → 15 × 1 s is 35 of them, where
 * one round at 1 s would be 288 (~1.4 s on a 1000-interface host, bench:replay).
 */
const REFINE_BUCKETS = 20;
/** Background loads wait at most this long for the seeked moment's judgement to land. */
const JUDGED_WAIT_MS = 500;
/** Back to live, the sparklines restart from the recording of these last minutes. */
const LIVE_RESEED_MS = 3 * 60_000;
/** Marks read by the bench: a seek and the moment its judgement reached the store. */
export const MARK_REPLAY_SEEK = 'hopwatch:replay-seek';

export interface ReplayController {
  /** Step one recorded sample back or forward (loads the neighbouring page when needed). */
  step: (dir: 1 | -1) => Promise<void>;
  /** Jump to the previous or next loss on the heat strip, refined to the sample. */
  jumpLoss: (dir: 1 | -1) => Promise<void>;
  /** Re-read range, marks and heat strip now (after creating a mark, say). */
  refresh: () => Promise<void>;
  stop: () => void;
}

/** What the controller talks to; the app's defaults, a test's stubs. */
export interface ReplayDeps {
  fetchPage?: FetchPage;
}

/**
 * Replay's side effects, composed from three parts each tested alone: the pager (pages around
 * the playhead), the feeder (what the judge worker gets) and the clock (playback). This module
 * decides what to load and show: the moment (topology in force, sample history, the judgement
 * over the same window length as live, by the same code) and the heat strip, kept fresh.
 */
export function startReplay(
  store: AppStore,
  judge: JudgeClient | null,
  deps: ReplayDeps = {},
): ReplayController {
  const pager = createPager(deps.fetchPage ?? fetchPage);
  const feeder: Feeder | null = judge === null ? null : createFeeder(judge.post);
  let shownKey = '';
  let wasActive = false;
  let stopped = false;
  /** A hub serving a file opens in replay at the file's start, not on an empty live view. */
  let enteredFile = false;
  const get = () => store.getState();
  /** A replay that cannot be shown says so on the timeline instead of failing silently. */
  const report = (e: unknown) =>
    get().setReplayLoading(false, `replay: ${(e as Error).message ?? String(e)}`);

  /** The pager's buffer for `host`; another host starts over (nothing shown, nothing fed). */
  const bufferFor = (host: string) => {
    const before = pager.current();
    const buf = pager.bufferFor(host);
    if (buf !== before) {
      shownKey = '';
      feeder?.reset();
    }
    return buf;
  };
  const load = (host: string, page: number) => {
    bufferFor(host);
    return pager.load(host, page);
  };

  /** Shows the loaded moment at the playhead: topology as it was, history, judged window. */
  function show(): void {
    const s = get();
    const t = s.playhead;
    const buffer = pager.current();
    if (t === null || s.host === null || buffer === null || buffer.host !== s.host) return;
    const host = s.host;
    const version = buffer.topologyAt(t);
    const history = buffer.samplesUpTo(t, t - HISTORY_SPAN_MS, HISTORY_MAX_SAMPLES);
    const last = history.at(-1);
    const key = `${host}|${version?.t}|${last?.t}|${history.length}`;
    if (key === shownKey) return;
    shownKey = key;
    if (version !== null && version.topology !== s.topology) {
      // Same content as what is drawn (live's version, say): keep it, no re-layout.
      if (s.topology === null || JSON.stringify(s.topology) !== JSON.stringify(version.topology))
        s.setTopology(host, version.topology);
    }
    if (judge === null || !get().judgeExternally) {
      let rows = 0;
      for (const x of history) rows += Object.keys(x.ifaces).length;
      store.setState({ history, historyRows: rows, lastT: last?.t ?? null });
      get().rejudge();
      return;
    }
    feeder?.feed(host, version?.t ?? null, history, s.playing);
  }

  /** Loads what the playhead needs (window first, then history and prefetch) and shows it. */
  async function ensure(): Promise<void> {
    const s = get();
    const t = s.playhead;
    const host = s.host;
    if (t === null || host === null || !selectReplayActive(s)) return;
    const buf = bufferFor(host);
    const first = pagesForWindow(t, WINDOW_SPAN_MS).filter((p) => !buf.has(p));
    if (first.length > 0) {
      get().setReplayLoading(true);
      try {
        if (s.playing) await Promise.all(first.map((p) => load(host, p)));
        else {
          // A seek: just the window first, its pages after the picture (see the buffer).
          await pager.loadRange(host, t - WINDOW_SPAN_MS, t);
        }
        get().setReplayLoading(false);
      } catch (e) {
        get().setReplayLoading(false, e instanceof HubRequestError ? e.message : String(e));
        return;
      }
    }
    performance.mark(MARK_REPLAY_SEEK, { detail: { t } });
    show();
    // Then what comes next and the sparklines' minutes, but only once the moment is on screen,
    // and one page at a time: parsing ten pages at once would hold the main thread for the
    // better part of a second right when the operator looks (bench:replay, 1000 interfaces).
    await judged(t);
    const cur = get();
    if (cur.playhead === null || cur.host !== host || Math.abs(cur.playhead - t) > PAGE_MS) return;
    const range = cur.replayRange;
    const here = pageOf(cur.playhead);
    const later: number[] = [...pagesForWindow(cur.playhead, WINDOW_SPAN_MS)];
    const ahead = cur.playing ? cur.speed * PREFETCH_WALL_MS : PAGE_MS;
    for (let p = here; p <= pageOf(cur.playhead + ahead); p++) later.push(p);
    // History only when paused: playing forward, the judge collects it sample by sample.
    if (!cur.playing) for (let p = here - 1; p >= pageOf(cur.playhead - HISTORY_SPAN_MS); p--) later.push(p);
    const wanted = [...new Set(later)].filter(
      (p) => !buf.has(p) && (range === null || (pageEnd(p) >= range.start && pageStart(p) <= range.end)),
    );
    for (const p of wanted) {
      // A newer seek far away owns the network now.
      const now = get().playhead;
      if (now === null || Math.abs(now - t) > HISTORY_SPAN_MS || get().host !== host) return;
      await load(host, p).catch(() => {});
    }
    if (wanted.length === 0) return;
    buf.evict(get().playhead ?? cur.playhead);
    show();
  }

  /** Resolves once the judgement of the sample shown at t reached the store (or after a while). */
  function judged(t: number): Promise<void> {
    const want = pager.current()?.sampleAt(t)?.t ?? null;
    if (want === null || get().lastT === want) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        off();
        clearTimeout(timer);
        resolve();
      };
      const off = store.subscribe(
        (x: AppState) => x.lastT,
        (lastT) => lastT === want && done(),
      );
      const timer = setTimeout(done, JUDGED_WAIT_MS);
    });
  }

  /**
   * The heat strip from `start` to `end`. A refresh fetches only the tail (the last bucket again,
   * then what is new) at the same bucket length: the whole strip is judged once, not every
   * TIMELINE_REFRESH_MS (on a 1000-interface host a 10-minute strip costs the hub ~1 s). When
   * the strip has grown to twice its bucket budget it is fetched whole again, coarser.
   */
  async function stripFor(
    host: string,
    start: number,
    end: number,
    prev: Timeline | null,
  ): Promise<Timeline> {
    const last = prev?.buckets.at(-1);
    if (
      prev !== null &&
      last !== undefined &&
      prev.host === host &&
      prev.start === start &&
      end >= last.start &&
      prev.buckets.length < 2 * TIMELINE_BUCKETS
    ) {
      const n = Math.max(1, Math.ceil((end - last.start) / prev.bucketMs));
      const tail = await fetchTimeline(host, last.start, last.start + n * prev.bucketMs, n);
      if (tail.bucketMs === prev.bucketMs)
        return { ...prev, end: tail.end, buckets: [...prev.buckets.slice(0, -1), ...tail.buckets] };
    }
    // No finer than a sample a second (finer buckets alternate with empty ones); once the range
    // allows, buckets of whole chunks (10 s), which the hub judges from its chunk summaries.
    const span = end - start;
    let n = Math.min(TIMELINE_BUCKETS, Math.ceil(span / 1000));
    if (span / n < SUMMARY_BUCKET_MS && span >= SUMMARY_BUCKET_MS * MIN_SUMMARY_BUCKETS)
      n = Math.floor(span / SUMMARY_BUCKET_MS);
    return fetchTimeline(host, start, end, n);
  }

  async function refresh(): Promise<void> {
    const host = get().host;
    try {
      const info = await fetchReplayInfo();
      const h = info.hosts.find((x) => x.host === get().host);
      get().setReplayInfo(info.source, h ? { start: h.start, end: h.end } : null, info.recordings);
      resolveRecording();
      if (info.source === 'file' && h !== undefined && !enteredFile && !selectReplayActive(get())) {
        enteredFile = true;
        get().seek(h.start + 1000);
      }
      if (h === undefined || host === null || host !== get().host) {
        get().setTimeline(null);
        return;
      }
      // Live: the strip runs to now, so the newest loss is there as it happens.
      const end = selectReplayActive(get()) ? h.end : Math.max(h.end, Date.now());
      get().setTimeline(await stripFor(host, h.start, Math.max(end, h.start + 1000), get().timeline));
    } catch {
      // The strip is an aid; a failed refresh keeps the previous one and tries again later.
    }
  }

  /** A `rec=ID&pos=S` link: the playhead follows once the recording's start is known. */
  function resolveRecording(): void {
    const s = get();
    if (s.rec === null) return;
    const mark = s.marks.find((m) => m.id === s.rec);
    if (mark === undefined) {
      if (s.marks.length > 0 || s.replaySource !== null)
        get().setReplayLoading(false, `no recording "${s.rec}" on this hub`);
      return;
    }
    const t = mark.start + (s.pos ?? 0) * 1000;
    if (s.playhead !== t || s.t === 'live') s.seek(t);
  }

  /** The URL (load, back/forward) or the slice moved t or rec: follow it. */
  function onViewTime(): void {
    const s = get();
    const active = selectReplayActive(s);
    if (active && !wasActive) shownKey = '';
    if (!active && wasActive) leaveReplay();
    wasActive = active;
    if (!active) return;
    if (s.rec !== null && s.t === 'live') {
      resolveRecording();
      return;
    }
    const t = Date.parse(s.t);
    if (Number.isFinite(t) && t !== s.playhead && !s.playing) store.setState({ playhead: t });
  }

  function leaveReplay(): void {
    // Back to live: the socket re-subscribes (selectLiveHost) and the hub sends the current
    // topology and sample; the judge's history must not mix recorded samples with live ones,
    // so it restarts from the hub's recording of the last minutes, as when a host opens.
    const { host } = get();
    feeder?.reset();
    shownKey = '';
    get().clearLive();
    if (judge === null || host === null) return;
    judge.post({ kind: 'window', host, samples: [] });
    const end = Date.now();
    fetchRecordingText(host, end - LIVE_RESEED_MS, end)
      .then((raw) => {
        if (raw !== null && !selectReplayActive(get()) && get().host === host)
          judge.post({ kind: 'seed', host, raw });
      })
      .catch(() => {});
  }

  async function step(dir: 1 | -1): Promise<void> {
    const s = get();
    const host = s.host;
    if (host === null) return;
    const from = s.playhead ?? s.replayRange?.end ?? Date.now();
    get().pause();
    const buf = bufferFor(host);
    // Synchronous when the neighbour is loaded, so key repeats step one sample each, in order.
    let next = buf.neighbour(from, dir);
    if (next === null) {
      await Promise.allSettled([load(host, pageOf(from)), load(host, pageOf(from) + dir)]);
      next = buf.neighbour(get().playhead ?? from, dir);
    }
    if (next !== null) get().seek(next);
    else if (get().playhead === null) get().seek(from);
  }

  /**
   * To the onset of the previous or next loss episode (contiguous loss buckets on the strip):
   * back from inside an episode goes to its own onset first, as "previous track" does. The
   * coarse strip says which bucket; finer strips of it (REFINE_BUCKETS) say which second.
   */
  async function jumpLoss(dir: 1 | -1): Promise<void> {
    const s = get();
    const tl = s.timeline;
    if (s.host === null || tl === null) return;
    const at = s.playhead ?? tl.end;
    const onsets = tl.buckets.filter((b, i) => b.worst === 'loss' && tl.buckets[i - 1]?.worst !== 'loss');
    const bucket =
      dir === 1 ? onsets.find((b) => b.start > at) : onsets.findLast((b) => b.end < at - tl.bucketMs / 2);
    if (bucket === undefined) return;
    get().pause();
    // Buckets of whole chunks come from the hub's chunk summaries, which file a whole chunk under
    // one bucket (the one holding its middle): its first lossy second may sit before that bucket.
    const slack = (bucketMs: number) => (bucketMs >= SUMMARY_BUCKET_MS ? SUMMARY_BUCKET_MS : 0);
    let target = bucket.end;
    let lo = bucket.start - slack(tl.bucketMs);
    let hi = Math.max(bucket.end, bucket.start + 1000);
    try {
      while (hi - lo > 1000) {
        const n = Math.min(REFINE_BUCKETS, Math.ceil((hi - lo) / 1000));
        const fine = await fetchTimeline(s.host, lo, hi, n);
        const hit = fine.buckets.find((b) => b.worst === 'loss');
        if (hit === undefined) break;
        target = hit.end;
        lo = hit.start - slack(fine.bucketMs);
        hi = hit.end;
      }
    } catch {
      // The coarsest answer so far still shows the loss.
    }
    get().seek(target);
  }

  const offs = [
    store.subscribe((x: AppState) => `${x.t}|${x.rec ?? ''}|${x.pos ?? ''}`, onViewTime, {
      fireImmediately: true,
    }),
    store.subscribe(
      (x: AppState) => x.playhead,
      () => void ensure().catch(report),
    ),
    store.subscribe(
      (x: AppState) => x.host,
      () => {
        pager.reset();
        shownKey = '';
        feeder?.reset();
        get().setTimeline(null);
        void refresh().then(ensure).catch(report);
      },
      { fireImmediately: true },
    ),
    // A new topology from elsewhere (the host was re-chosen) must not stay under a replay.
    store.subscribe(
      (x: AppState) => x.topology,
      (topology) => {
        if (topology === null && selectReplayActive(get())) {
          shownKey = '';
          void ensure().catch(report);
        }
      },
    ),
  ];

  const stopClock = startClock({
    now: () => performance.now(),
    wall: () => Date.now(),
    playing: () => get().playing,
    onPlayingChange: (cb) => store.subscribe((x: AppState) => x.playing, cb),
    tick: (wallMs, nowWall) => get().tick(wallMs, nowWall),
  });
  const strip = setInterval(() => void refresh(), TIMELINE_REFRESH_MS);

  const controller: ReplayController = {
    step,
    jumpLoss,
    refresh,
    stop: () => {
      if (stopped) return;
      stopped = true;
      for (const off of offs) off();
      stopClock();
      clearInterval(strip);
    },
  };
  return controller;
}
