import type { HopStatus, Sample } from '@hopwatch/shared';
import { type LossSummary, mergeSummaries, summarize } from '../state/summary.ts';
import type { RecordingStore, TopologyVersion } from '../seams/recording.ts';

/**
 * Up to this range the strip is judged from the samples themselves (one localize per bucket);
 * beyond it from the per-chunk summaries written with each chunk, so a 24 h strip never
 * decompresses 24 h of samples.
 */
export const TIMELINE_RAW_MAX_RANGE_MS = 3600_000;
/**
 * Buckets this long or longer are judged from the chunk summaries at any range (a chunk holds
 * 10 s): raw, a 59-minute strip of a 1000-interface host took ~4 s of hub CPU, from summaries
 * ~40 ms (bench:replay), and the web app refreshes its strip every 10 s while live.
 */
export const TIMELINE_SUMMARY_MIN_BUCKET_MS = 10_000;
/**
 * The raw path decodes at most this many samples (an hour at 1 Hz). An agent at 100 ms fills an
 * hour with 36 000: counted first from the chunk rows (no blobs read), such a range is judged
 * from the summaries too; and the raw tail after the summaries is capped the same way.
 */
export const TIMELINE_RAW_MAX_SAMPLES = 3600;

export interface TimelineBucket {
  start: number;
  end: number;
  samples: number;
  /** null: nothing recorded in this bucket. */
  worst: HopStatus | null;
  drops: number;
  lossHops: number;
}

export interface Timeline {
  host: string;
  start: number;
  end: number;
  bucketMs: number;
  buckets: TimelineBucket[];
}

function topologyAt(versions: readonly TopologyVersion[], t: number): TopologyVersion | undefined {
  return versions.filter((v) => v.t <= t).at(-1) ?? versions[0];
}

/**
 * Samples on disk in chunks touching [start, end], from the chunk rows alone (no blob is read):
 * what a range would cost to decode, known before decoding it.
 */
export function storedSamples(store: RecordingStore, host: string, start: number, end: number): number {
  return store.storedSamples(host, start, end);
}

export function timeline(
  store: RecordingStore,
  host: string,
  start: number,
  end: number,
  n: number,
): Timeline {
  const bucketMs = Math.ceil((end - start) / n);
  const acc: (LossSummary | null)[] = new Array(n).fill(null);
  const counts: number[] = new Array(n).fill(0);
  const index = (t: number) => Math.min(n - 1, Math.max(0, Math.floor((t - start) / bucketMs)));

  let rawFrom = start;
  if (
    end - start > TIMELINE_RAW_MAX_RANGE_MS ||
    bucketMs >= TIMELINE_SUMMARY_MIN_BUCKET_MS ||
    storedSamples(store, host, start, end) > TIMELINE_RAW_MAX_SAMPLES
  ) {
    for (const c of store.summaries(host, start, end)) {
      // A chunk counts in the bucket holding its middle: the one ending exactly at `start`
      // (nearly all of it before the range) must not land in the first bucket.
      const mid = (c.start + c.end) / 2;
      if (mid < start || mid > end) continue;
      const i = index(mid);
      acc[i] = mergeSummaries(acc[i] ?? null, c);
      counts[i]! += c.samples;
      rawFrom = Math.max(rawFrom, c.end + 1);
    }
  }
  // The raw path, or the tail the summaries do not cover yet (chunks still in memory).
  const rec = store.readRange(host, rawFrom, end, { maxSamples: TIMELINE_RAW_MAX_SAMPLES });
  const byBucket = new Map<number, Sample[]>();
  for (const s of rec.samples) {
    const i = index(s.t);
    const list = byBucket.get(i) ?? [];
    list.push(s);
    byBucket.set(i, list);
  }
  for (const [i, samples] of byBucket) {
    const topo = topologyAt(rec.topologies, start + (i + 1) * bucketMs);
    if (!topo) continue;
    acc[i] = mergeSummaries(acc[i] ?? null, summarize(topo.topology, samples));
    counts[i]! += samples.length;
  }

  return {
    host,
    start,
    end,
    bucketMs,
    buckets: acc.map((a, i) => ({
      start: start + i * bucketMs,
      end: Math.min(end, start + (i + 1) * bucketMs),
      samples: counts[i]!,
      worst: a?.worst ?? null,
      drops: a?.drops ?? 0,
      lossHops: a?.lossHops ?? 0,
    })),
  };
}
