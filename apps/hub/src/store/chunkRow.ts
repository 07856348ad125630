import {
  type HopReport,
  type Keyframe,
  localize,
  mergeSamples,
  type Sample,
  type Topology,
} from '@hopwatch/shared';
import { summaryOf } from '../state/summary.ts';
import { CHUNK_CODEC, encodeColumns } from './chunk.ts';
import { SampleColumns } from './columns.ts';
import type { ChunkRow } from './sql.ts';

/**
 * One chunk as it is stored: its samples encoded (chunk.ts) and the loss summary of its whole
 * window, judged against `topology` (the version in force at the chunk's end). The one way a
 * chunk is made: the live pump passes its open chunk's columns (columns.ts), replay import the
 * parsed samples. A chunk whose summary cannot be made is still stored (replayable; the
 * timeline shows it as unjudged) and `onSummaryError` says why. `onJudged` gets the window's
 * judgement, hop by hop, which the live hub also shows as the status of a host nobody watches
 * (core.ts chunkJudged): one `localize` of the window serves the timeline and the host list.
 */
export function buildChunkRow(
  host: string,
  samples: { columns: SampleColumns } | { samples: readonly Sample[] },
  keyframes: readonly Keyframe[],
  topology: Topology | null,
  onSummaryError: (e: Error) => void,
  onJudged?: (reports: Map<string, HopReport>) => void,
): ChunkRow | null {
  let cols: SampleColumns;
  if ('columns' in samples) cols = samples.columns;
  else {
    cols = new SampleColumns();
    for (const s of samples.samples) cols.add(s);
  }
  const count = cols.length;
  if (count === 0) return null;
  const { data, ifaceSums } = encodeColumns(cols, keyframes);
  let summary: string | null = null;
  if (topology) {
    try {
      // summarize() of one sample, the window: the same localize, its hops kept for onJudged.
      const reports = localize(topology, windowOf(cols, ifaceSums));
      summary = JSON.stringify(summaryOf(reports.values()));
      onJudged?.(reports);
    } catch (e) {
      onSummaryError(e as Error);
    }
  }
  const start = cols.t[0]! - cols.e[0]!;
  return { host, start, end: cols.t[count - 1]!, samples: count, codec: CHUNK_CODEC, summary, data };
}

/**
 * The chunk's whole window as one sample: the interface rows summed by the encoder from its
 * columns, the rest (softnet, drops, qdiscs...) merged from the rest texts in one mergeSamples
 * (without the rows: cheap), as summarize() merges a window.
 */
function windowOf(cols: SampleColumns, ifaceSums: Record<string, number[]>): Sample {
  const bare = cols.t.map((t, si): Sample => {
    const rest = JSON.parse(cols.rest[si]!) as Omit<Sample, 't' | 'elapsedMs' | 'ifaces'>;
    return { ...rest, t, elapsedMs: cols.e[si]!, ifaces: {} };
  });
  const window = bare.length === 1 ? bare[0]! : mergeSamples(bare)!;
  window.ifaces = ifaceSums;
  return window;
}
