import { type Keyframe, mergeSamples, type Sample, type Topology } from '@hopwatch/shared';
import { summarize } from '../state/summary.ts';
import { CHUNK_CODEC, type EncodedChunk, encodeChunkSummed, encodeChunkTexts } from './chunk.ts';
import type { ChunkRow } from './sql.ts';

/**
 * One chunk as it is stored: its samples encoded (chunk.ts) and the loss summary of its whole
 * window, judged against `topology` (the version in force at the chunk's end). The one way a
 * chunk is made: the live pump passes the samples' JSON texts (parsed once, here), replay import
 * the parsed samples. A chunk whose summary cannot be made is still stored (replayable; the
 * timeline shows it as unjudged) and `onSummaryError` says why.
 */
export function buildChunkRow(
  host: string,
  samples: { texts: readonly string[] } | { samples: readonly Sample[] },
  keyframes: readonly Keyframe[],
  topology: Topology | null,
  onSummaryError: (e: Error) => void,
): ChunkRow | null {
  // The chunk's whole window, merged while encoding: one parse per sample, few live objects.
  // Interface rows, most of a sample, are summed by the encoder from its columns; the rest is
  // merged here sample by sample (mergeSamples without the rows: cheap).
  let window: Sample | null = null;
  let first: Sample | null = null;
  let last: Sample | null = null;
  const fold = (s: Sample) => {
    first ??= s;
    last = s;
    const bare = { ...s, ifaces: {} };
    window = window ? mergeSamples([window, bare]) : bare;
  };
  let encoded: EncodedChunk;
  let count: number;
  if ('texts' in samples) {
    encoded = encodeChunkTexts(samples.texts, keyframes, fold);
    count = samples.texts.length;
  } else {
    for (const s of samples.samples) fold(s);
    encoded = encodeChunkSummed(samples.samples, keyframes);
    count = samples.samples.length;
  }
  const data = encoded.data;
  const w = window as Sample | null;
  if (w) w.ifaces = encoded.ifaceSums;
  const f = first as Sample | null;
  const l = last as Sample | null;
  if (count === 0 || !w || !f || !l) return null;
  let summary: string | null = null;
  if (topology) {
    try {
      summary = JSON.stringify(summarize(topology, [w]));
    } catch (e) {
      onSummaryError(e as Error);
    }
  }
  return { host, start: f.t - f.elapsedMs, end: l.t, samples: count, codec: CHUNK_CODEC, summary, data };
}
