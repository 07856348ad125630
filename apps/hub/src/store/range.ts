import type { Keyframe, Sample, Topology } from '@hopwatch/shared';
import type { Recording, TopologyVersion } from '../seams/recording.ts';

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
