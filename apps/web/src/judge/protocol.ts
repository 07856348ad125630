import type { Finding, Sample, Topology } from '@hopwatch/shared';
import type { HopHistory } from './history.ts';
import type { PackedStats } from './pack.ts';

/** Main thread → judge worker. */
export type JudgeRequest =
  /** A new host (or none): forget the window and the previous stats. */
  | { kind: 'reset'; host: string | null }
  | { kind: 'topology'; host: string; topology: Topology }
  /** The hub's `topology` frame as text (the UI thread checked it): the worker decodes its own copy. */
  | { kind: 'topology-frame'; host: string; raw: string }
  /**
   * A live `sample` frame from the hub as it came, text or a binary frame's UTF-8 bytes
   * (transferred): the worker decodes and validates it.
   */
  | { kind: 'frame'; raw: string | ArrayBuffer }
  /** The hub's recording of the last minutes (`GET /api/hosts/:host/recording` body, as text): fills the history at once. */
  | { kind: 'seed'; host: string; raw: string }
  /**
   * Replay: the history up to the playhead (oldest first, already decoded; send up to
   * HISTORY_MAX_SAMPLES so the detail sparklines have their minutes), replacing the live one.
   * The judgement takes its last JUDGE_WINDOW_SAMPLES, exactly as live does.
   */
  | { kind: 'window'; host: string; samples: Sample[] }
  /**
   * Replay playing forward: samples after the newest one held, appended as live frames would be
   * (already decoded: no wire frame is built by hand to be parsed again).
   */
  | { kind: 'append'; host: string; samples: Sample[] }
  | { kind: 'path'; from: string | null; to: string | null }
  /**
   * The hops the map draws with their numbers (its visible interface nodes; null: all). Others
   * are sent only when their status, path number or rules change: folded, only that shows.
   */
  | { kind: 'watch'; ids: string[] | null }
  /** The hop whose history the detail panel shows (sent back with every answer). */
  | { kind: 'select'; id: string | null };

/** Judge worker → main thread: only what changed since the previous answer. */
export type JudgeResponse =
  | {
      kind: 'judged';
      host: string;
      /** End of the newest sample judged (ms since the epoch), null before any. */
      lastT: number | null;
      /** The selected hop's history, null when nothing is selected. */
      hop: HopHistory | null;
      /** Hops whose stats changed (new or different), in columns; every other hop keeps its object. */
      changed: PackedStats;
      removed: string[];
      /** null: the same findings as the previous answer (compared in the worker, not every tick on the UI thread). */
      findings: Finding[] | null;
      path: string[] | null;
      pathError: string | null;
      pathSuggestions: string[];
      windowSeconds: number;
      ms: number;
    }
  | { kind: 'hop'; host: string; hop: HopHistory | null }
  | { kind: 'bad-frame'; error: string };

/** A sample frame to the worker: a binary frame's bytes are moved, not copied (the sender keeps none). */
export function postFrame(worker: Pick<Worker, 'postMessage'>, raw: string | ArrayBuffer): void {
  const req: JudgeRequest = { kind: 'frame', raw };
  if (typeof raw === 'string') worker.postMessage(req);
  else worker.postMessage(req, [raw]);
}
