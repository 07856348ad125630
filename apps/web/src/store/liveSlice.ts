import type { Finding, HostSummary, Sample } from '@hopwatch/shared';
import type { ConnectionStatus } from '../connection/socket.ts';
import { EMPTY_JUDGEMENT, evaluate, type HopStat } from '../judge/evaluate.ts';
import type { SliceCreator } from './types.ts';

/** Samples merged for statuses and findings: long enough to smooth one odd interval, short enough to react within seconds. */
export const JUDGE_WINDOW_SAMPLES = 5;
/** Sparkline history: five minutes at the agents' default 1 s interval. */
export const HISTORY_MAX_SAMPLES = 300;
/** …unless the host is huge: cap the retained interface rows (~16 numbers each) to bound memory. */
export const HISTORY_MAX_ROWS = 200_000;

export interface LiveSlice {
  connection: ConnectionStatus;
  /** null until the hub has told us (distinguishes "no agent connected" from "not loaded yet"). */
  hosts: HostSummary[] | null;
  /** Samples of the watched host, oldest first, bounded by HISTORY_MAX_*. */
  history: Sample[];
  historyRows: number;
  /** Frames that failed to decode (logged once, counted here). */
  badFrames: number;
  /** The hub's last error message for this browser (e.g. an unknown host), in words. */
  hubError: string | null;
  statsById: Map<string, HopStat>;
  findings: Finding[];
  path: string[] | null;
  pathError: string | null;
  pathSuggestions: string[];
  windowSeconds: number;
  setConnection: (status: ConnectionStatus) => void;
  setHosts: (hosts: HostSummary[]) => void;
  ingestSample: (host: string, sample: Sample) => void;
  clearLive: () => void;
  countBadFrame: () => void;
  setHubError: (message: string | null) => void;
  /** Recompute statuses, path and findings from the current window (sample, topology or path changed). */
  rejudge: () => void;
}

function trimHistory(history: Sample[], rows: number): { history: Sample[]; rows: number } {
  let start = 0;
  let kept = rows;
  while (
    history.length - start > JUDGE_WINDOW_SAMPLES &&
    (history.length - start > HISTORY_MAX_SAMPLES || kept > HISTORY_MAX_ROWS)
  ) {
    kept -= Object.keys(history[start]!.ifaces).length;
    start++;
  }
  return { history: start === 0 ? history : history.slice(start), rows: kept };
}

function sameList(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export const createLiveSlice: SliceCreator<LiveSlice> = (set, get) => ({
  connection: 'connecting',
  hosts: null,
  history: [],
  historyRows: 0,
  badFrames: 0,
  hubError: null,
  ...EMPTY_JUDGEMENT,
  setConnection: (connection) => set({ connection }),
  setHosts: (hosts) => set({ hosts }),
  ingestSample: (host, sample) => {
    const s = get();
    if (host !== s.host) return;
    const last = s.history.at(-1);
    // A duplicate or out-of-order frame (reconnect backfill) must not count twice.
    if (last !== undefined && sample.t <= last.t) return;
    const trimmed = trimHistory([...s.history, sample], s.historyRows + Object.keys(sample.ifaces).length);
    set({ history: trimmed.history, historyRows: trimmed.rows });
    get().rejudge();
  },
  clearLive: () => set({ history: [], historyRows: 0, ...EMPTY_JUDGEMENT }),
  countBadFrame: () => set((s) => ({ badFrames: s.badFrames + 1 })),
  setHubError: (hubError) => set({ hubError }),
  rejudge: () => {
    const s = get();
    if (s.topology === null || s.host === null) {
      set(EMPTY_JUDGEMENT);
      return;
    }
    // Replay (createReplaySlice) will feed its own window here when t !== 'live'.
    const samples = s.history.slice(-JUDGE_WINDOW_SAMPLES);
    const j = evaluate({ host: s.host, topology: s.topology, samples, from: s.from, to: s.to }, s.statsById);
    // Keep the previous references when nothing changed: panels subscribed to them stay still.
    set({
      ...j,
      path: sameList(s.path, j.path) ? s.path : j.path,
      findings: JSON.stringify(s.findings) === JSON.stringify(j.findings) ? s.findings : j.findings,
    });
  },
});
