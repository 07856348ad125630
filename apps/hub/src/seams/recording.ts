import type { HopReport, Keyframe, Sample, Topology } from '@hopwatch/shared';
import type { IfaceRows } from '../state/rows.ts';
import type { LossSummary } from '../state/summary.ts';
import type { Marks } from '../store/marks.ts';

/**
 * The recording seam: every sample, topology version and keyframe of every host, cut into chunks
 * with a loss summary each, read back by range (replay, export, diagnosis) and by summary
 * (timeline heat strip), expired by age and bytes, and named by marks. The embedded
 * implementation is one SQLite file (store/store.ts); a fleet of hubs shares a JetStream stream
 * instead. Everything above it (HubCore, the routes, import and export) knows only this.
 *
 * Writes are synchronous and never fail to the caller: they queue, and the implementation writes
 * behind (a pump, a publisher). lastT() counts what is queued, because it is what an agent's
 * backfill starts after.
 */
export interface RecordingStore {
  /** Where the recording lives (a file, a stream): for logs, never shown to browsers. */
  readonly path: string;
  /**
   * false: not newer than lastT. The sample is copied (the embedded and fleet recordings into
   * their open chunk's columns, store/columns.ts), never kept: the caller may drop it at once.
   * `rows`: its interface rows (state/rows.ts) when the caller has them, else made here; `rest`:
   * likewise the JSON text of the rest of it (state/rows.ts restTextOf).
   */
  append(host: string, sample: Sample, rows?: IfaceRows, rest?: string): boolean;
  appendKeyframe(host: string, keyframe: Keyframe): void;
  /** false when identical to the host's latest version. */
  appendTopology(host: string, t: number, topology: Topology): boolean;
  /** maxSamples / maxTopologies: at most that many in the answer (truncated, read on from nextStart). */
  readRange(
    host: string,
    start: number,
    end: number,
    opts?: { maxSamples?: number; maxTopologies?: number },
  ): Recording;
  topologyAt(host: string, t: number): TopologyVersion | null;
  summaries(host: string, start: number, end: number): ChunkSummary[];
  /** Samples in stored chunks touching [start, end], known without decoding any. */
  storedSamples(host: string, start: number, end: number): number;
  /** Start of the host's oldest stored chunk, or null when nothing of it is stored yet. */
  firstStart(host: string): number | null;
  hosts(): string[];
  lastT(host: string): number | null;
  /**
   * This process takes the host's agent (before the welcome, which carries lastT): a shared
   * recording learns where the host's recording ends. The embedded one knows already.
   */
  adopt?(host: string): Promise<void>;
  /**
   * Brings [start, end] of the host's recording within reach of the reads above, which are
   * synchronous: a shared recording fetches it from its stream into a cache (fleet/), the
   * embedded one has it on disk already and has no load. Callers await it before reading.
   */
  load?(host: string, start: number, end: number): Promise<void>;
  /**
   * `listener` is told the judgement of each live chunk's window once the chunk is written (the
   * `localize` its loss summary comes from): the hub shows it as the status of a host nobody
   * watches instead of judging the host a second time (core.ts). One listener; a later call
   * replaces it.
   */
  onChunkJudged?(listener: (host: string, end: number, reports: Map<string, HopReport>) => void): void;
  /** Named recordings kept with this recording (store/marks.ts). */
  marks(): Marks;
  /** Write every open chunk now. */
  flush(): void;
  enforceRetention(): { deletedChunks: number; deletedBytes: number };
  stats(): StoreStats;
  close(): void;
}

export interface TopologyVersion {
  t: number;
  topology: Topology;
}

/** A range of one host's recording (readRange). */
export interface Recording {
  host: string;
  start: number;
  end: number;
  topologies: TopologyVersion[];
  samples: Sample[];
  keyframes: Keyframe[];
  /** True when maxSamples cut the range short; read on from nextStart. */
  truncated: boolean;
  nextStart: number | null;
}

export interface ChunkSummary extends LossSummary {
  start: number;
  end: number;
  samples: number;
}

export interface StoreStats {
  path: string;
  bytes: number;
  chunks: number;
  chunksWritten: number;
  samplesPending: number;
  retentionDeletedChunks: number;
  /** Named recordings removed because marked data alone was over the byte budget. */
  retentionDeletedMarks: number;
  corruptChunks: number;
}
