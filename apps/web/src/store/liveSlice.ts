import type { Finding, HostSummary, Sample } from '@hopwatch/shared';
import type { ConnectionStatus } from '../connection/socket.ts';
import { JUDGE_WINDOW_SAMPLES } from '../judge/constants.ts';
import type { evaluate, HopStat } from '../judge/evaluate.ts';
import { EMPTY_JUDGEMENT } from '../judge/judgement.ts';
import { appendHistory, type HopHistory, hopHistory } from '../judge/history.ts';
import { unpackStats } from '../judge/pack.ts';
import type { JudgeResponse } from '../judge/protocol.ts';
import { LayeredMap } from './layeredMap.ts';
import { EMPTY_STATUS_INDEX, indexStatuses, type StatusIndex, statusMoved } from './statusIndex.ts';
import type { SliceCreator } from './types.ts';

export { HISTORY_MAX_ROWS, HISTORY_MAX_SAMPLES } from '../judge/history.ts';
export { JUDGE_WINDOW_SAMPLES };

type Judged = Extract<JudgeResponse, { kind: 'judged' }>;

/** The in-place judgement (judge/evaluate.ts): given, not imported, so the shared judge stays out of the first bundle. */
export type Evaluate = typeof evaluate;

export interface LiveSlice {
  connection: ConnectionStatus;
  /** null until the hub has told us (distinguishes "no agent connected" from "not loaded yet"). */
  hosts: HostSummary[] | null;
  /**
   * True while the judge worker (judge/client.ts) judges: samples, history and the judgement live
   * there and arrive through applyJudgement / applyHop. False: this slice keeps the history and
   * judges in place with the same code (tests, browsers without workers).
   */
  judgeExternally: boolean;
  /**
   * The judge in place when not judging externally: tests give it to createAppStore, the app
   * loads it only when it has no worker (connection/live.ts). Null: nothing is judged here.
   */
  evaluateInPlace: Evaluate | null;
  setEvaluateInPlace: (fn: Evaluate) => void;
  /** Samples kept in place (only when not judging externally, or set by replay), oldest first. */
  history: Sample[];
  /** Interface rows held in `history` (the memory that matters). */
  historyRows: number;
  /** End of the newest sample judged, ms since the epoch. */
  lastT: number | null;
  /**
   * A sample of this host went to the judge worker, so a judgement is on its way (the map mounts
   * its canvas, hidden, while it comes: map/MapCanvas.tsx). Set once per host, not every tick.
   */
  sampleSent: boolean;
  noteSampleSent: () => void;
  /** The selected hop's counters and series for the detail panel. */
  hopHistory: HopHistory | null;
  /** Frames that failed to decode (logged once, counted here). */
  badFrames: number;
  /** The hub's last error message for this browser (e.g. an unknown host), in words. */
  hubError: string | null;
  /** Replaced, never mutated: a tick's few changed hops over the previous version (store/layeredMap.ts). */
  statsById: ReadonlyMap<string, HopStat>;
  /** Namespace statuses and the hops in alarm, rebuilt when a status moves (store/statusIndex.ts). */
  statusIndex: StatusIndex;
  /** The interfaces the status index was built for (a new topology rebuilds it). */
  statusIndexFor: ReadonlyMap<string, unknown> | null;
  findings: Finding[];
  path: string[] | null;
  pathError: string | null;
  pathSuggestions: string[];
  windowSeconds: number;
  setConnection: (status: ConnectionStatus) => void;
  setHosts: (hosts: HostSummary[]) => void;
  ingestSample: (host: string, sample: Sample) => void;
  /** Merge the worker's answer: changed hops get new objects, every other hop keeps its own. */
  applyJudgement: (j: Judged) => void;
  applyHop: (host: string, hop: HopHistory | null) => void;
  clearLive: () => void;
  countBadFrame: () => void;
  setHubError: (message: string | null) => void;
  /** Recompute statuses, path and findings from the current window (sample, topology or path changed). */
  rejudge: () => void;
  /** Recompute the selected hop's history (selection changed). */
  refreshHop: () => void;
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const sameFindings = (a: Finding[], b: Finding[]) => JSON.stringify(a) === JSON.stringify(b);

export const createLiveSlice =
  (evaluateInPlace: Evaluate | null): SliceCreator<LiveSlice> =>
  (set, get) => ({
    connection: 'connecting',
    hosts: null,
    judgeExternally: false,
    evaluateInPlace,
    setEvaluateInPlace: (fn) => {
      set({ evaluateInPlace: fn });
      get().rejudge();
    },
    history: [],
    historyRows: 0,
    lastT: null,
    hopHistory: null,
    badFrames: 0,
    hubError: null,
    sampleSent: false,
    noteSampleSent: () => {
      if (!get().sampleSent) set({ sampleSent: true });
    },
    statusIndex: EMPTY_STATUS_INDEX,
    statusIndexFor: null,
    ...EMPTY_JUDGEMENT,
    setConnection: (connection) => set({ connection }),
    setHosts: (hosts) => set({ hosts }),
    ingestSample: (host, sample) => {
      const s = get();
      if (host !== s.host || s.judgeExternally) return;
      const next = appendHistory({ samples: s.history, rows: s.historyRows }, sample);
      if (next === null) return;
      set({ history: next.samples, historyRows: next.rows, lastT: sample.t });
      get().rejudge();
    },
    applyJudgement: (j) => {
      const s = get();
      if (j.host !== s.host) return;
      let statsById = s.statsById;
      let statusIndex = s.statusIndex;
      if (j.changed.ids.length > 0 || j.removed.length > 0) {
        const changed = unpackStats(j.changed);
        const moved = statusMoved(statsById, changed, j.removed);
        statsById = LayeredMap.with(statsById, changed, j.removed);
        if (moved || s.statusIndexFor !== s.ifaceById)
          statusIndex = indexStatuses(statsById, s.ifaceById, statusIndex);
      }
      // One store update per tick; unchanged lists keep their references (panels stay still).
      set({
        statsById,
        statusIndex,
        statusIndexFor: statusIndex === s.statusIndex ? s.statusIndexFor : s.ifaceById,
        lastT: j.lastT,
        findings: j.findings ?? s.findings,
        path: sameList(s.path, j.path) ? s.path : j.path,
        pathError: j.pathError,
        pathSuggestions: sameList(s.pathSuggestions, j.pathSuggestions)
          ? s.pathSuggestions
          : j.pathSuggestions,
        windowSeconds: j.windowSeconds,
        // An answer computed for a hop no longer selected must not overwrite the new one.
        ...(j.hop === null || j.hop.id === s.sel ? { hopHistory: j.hop } : {}),
      });
    },
    applyHop: (host, hop) => {
      const s = get();
      if (host === s.host && (hop === null || hop.id === s.sel)) set({ hopHistory: hop });
    },
    clearLive: () =>
      set({
        history: [],
        historyRows: 0,
        lastT: null,
        sampleSent: false,
        hopHistory: null,
        statusIndex: EMPTY_STATUS_INDEX,
        statusIndexFor: null,
        ...EMPTY_JUDGEMENT,
      }),
    countBadFrame: () => set((s) => ({ badFrames: s.badFrames + 1 })),
    setHubError: (hubError) => set({ hubError }),
    rejudge: () => {
      const s = get();
      if (s.judgeExternally || s.evaluateInPlace === null) return;
      if (s.topology === null || s.host === null) {
        set(EMPTY_JUDGEMENT);
        return;
      }
      // Replay (createReplaySlice) will feed its own window here when t !== 'live'.
      const samples = s.history.slice(-JUDGE_WINDOW_SAMPLES);
      const j = s.evaluateInPlace(
        { host: s.host, topology: s.topology, samples, from: s.from, to: s.to },
        s.statsById,
      );
      set({
        ...j,
        statusIndex: indexStatuses(j.statsById, s.ifaceById, s.statusIndex),
        statusIndexFor: s.ifaceById,
        path: sameList(s.path, j.path) ? s.path : j.path,
        findings: sameFindings(s.findings, j.findings) ? s.findings : j.findings,
        hopHistory: s.sel === null ? null : hopHistory(s.history, s.sel),
      });
    },
    refreshHop: () => {
      const s = get();
      if (s.judgeExternally) return;
      set({ hopHistory: s.sel === null ? null : hopHistory(s.history, s.sel) });
    },
  });
