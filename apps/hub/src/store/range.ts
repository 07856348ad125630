import type { Keyframe, Sample, Topology } from '@hopwatch/shared';
import type { Recording, TopologyVersion } from '../seams/recording.ts';
import { decodeChunk } from './chunk.ts';

/** What a recording holds for one range, gathered by its backend (SQLite rows or a stream cache). */
export interface RangeParts {
  host: string;
  start: number;
  end: number;
  maxSamples: number;
  maxTopologies: number;
  /** Every sample and keyframe found inside [start, end], in any order. */
  samples: Sample[];
  keyframes: Keyframe[];
  /** The version in force at `start`, if any. */
  atStart: TopologyVersion | null;
  /** Versions recorded after `start` up to `until`, oldest first, decoded only when taken. */
  inside: (until: number) => Iterable<{ t: number; topology: () => Topology }>;
  /** The host's first version, for a range recorded before any. */
  first: () => TopologyVersion | null;
}

/**
 * The one way a range becomes a Recording, for every backend: samples sorted and cut at
 * maxSamples, then topologies cut at maxTopologies (a host whose topology churns would otherwise
 * answer with thousands of full topologies), the range ending before the first one left out.
 */
export function assembleRange(p: RangeParts): Recording {
  const { host, start, end, samples, keyframes } = p;
  samples.sort((a, b) => a.t - b.t);
  let truncated = false;
  let nextStart: number | null = null;
  if (samples.length > p.maxSamples) {
    truncated = true;
    samples.length = p.maxSamples;
    nextStart = samples.at(-1)!.t + 1;
  }
  const topoEnd = nextStart !== null ? nextStart - 1 : end;
  const topologies: TopologyVersion[] = [];
  if (p.atStart) topologies.push(p.atStart);
  for (const v of p.inside(topoEnd)) {
    if (topologies.length >= p.maxTopologies) {
      truncated = true;
      nextStart = v.t;
      while (samples.length > 0 && samples.at(-1)!.t >= v.t) samples.pop();
      break;
    }
    topologies.push({ t: v.t, topology: v.topology() });
  }
  if (topologies.length === 0) {
    // Nothing at or before start and nothing inside: the host's first version (recorded after
    // the range) still lets a reader draw the map.
    const first = p.first();
    if (first) topologies.push(first);
  }
  const kept = nextStart === null ? keyframes : keyframes.filter((k) => k.t < nextStart!);
  return { host, start, end, topologies, samples, keyframes: kept, truncated, nextStart };
}

/** A stored chunk as a backend hands it to collectRange: where it starts, its codec, its bytes. */
export interface RangeChunk {
  start: number;
  codec: string;
  data: Uint8Array;
}

/**
 * The samples and keyframes of [start, end], in every backend's one way: the stored chunks in
 * start order, decoded one at a time and no further than the one that passes maxSamples (a
 * range of a year must not decode a year to answer with its first hour; assembleRange then cuts
 * and says truncated), then what is still open in the write pump. An unreadable chunk is skipped
 * and told to `unreadable`. `unique`: a sample or keyframe time taken once (the fleet, whose
 * chunks may come both from its cache and from the owner still publishing them).
 */
export function collectRange(p: {
  start: number;
  end: number;
  maxSamples: number;
  chunks: Iterable<RangeChunk>;
  open: readonly { columns: { samples(): Sample[] }; keyframes: readonly Keyframe[] }[];
  unique?: boolean;
  unreadable: (chunkStart: number, e: Error) => void;
}): { samples: Sample[]; keyframes: Keyframe[] } {
  const { start, end } = p;
  const samples: Sample[] = [];
  const keyframes: Keyframe[] = [];
  const seenSamples = p.unique ? new Set<number>() : null;
  const seenKeyframes = p.unique ? new Set<number>() : null;
  const fresh = (seen: Set<number> | null, t: number) => {
    if (!seen) return true;
    if (seen.has(t)) return false;
    seen.add(t);
    return true;
  };
  const take = (ss: readonly Sample[], ks: readonly Keyframe[]) => {
    for (const s of ss) if (s.t >= start && s.t <= end && fresh(seenSamples, s.t)) samples.push(s);
    for (const k of ks) if (k.t >= start && k.t <= end && fresh(seenKeyframes, k.t)) keyframes.push(k);
  };
  for (const c of p.chunks) {
    try {
      const data = Buffer.isBuffer(c.data)
        ? c.data
        : Buffer.from(c.data.buffer, c.data.byteOffset, c.data.byteLength);
      const d = decodeChunk(c.codec, data);
      take(d.samples, d.keyframes);
    } catch (e) {
      p.unreadable(c.start, e as Error);
    }
    if (samples.length > p.maxSamples) break;
  }
  // Pending reads: the open chunks' samples built again from their columns.
  for (const o of p.open) take(o.columns.samples(), o.keyframes);
  return { samples, keyframes };
}
