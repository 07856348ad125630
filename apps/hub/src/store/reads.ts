import { createHash } from 'node:crypto';
import type { Topology } from '@hopwatch/shared';
import type { Logger } from '../log.ts';
import type { ChunkSummary, Recording, TopologyVersion } from '../seams/recording.ts';
import type { LossSummary } from '../state/summary.ts';
import { decompressText } from './chunk.ts';
import type { OpenChunk } from './pump.ts';
import { assembleRange, collectRange } from './range.ts';
import type { RecordingSql } from './sql.ts';

/** Change detection by digest: keeping each host's topology JSON cost ~0.5 MB a host. */
export function digestOf(json: string): string {
  return createHash('sha1').update(json).digest('base64');
}

function decodeTopology(data: Buffer): Topology {
  return JSON.parse(decompressText(data)) as Topology;
}

export interface LatestTopology {
  t: number;
  topology: Topology;
  digest: string;
}

/**
 * The read side of the SQLite recording, with its one cache (each host's latest topology, which
 * the write side also uses for change detection and chunk summaries). Ranges are read row by row
 * and stop at their cap; what the pump still holds in memory is merged in.
 */
export class RecordingReader {
  private readonly latest = new Map<string, LatestTopology>();
  corruptChunks = 0;

  constructor(
    private readonly sql: RecordingSql,
    private readonly pendingFor: (host: string) => OpenChunk[],
    private readonly log: Logger,
  ) {}

  latestTopologyOf(host: string): LatestTopology | null {
    const cached = this.latest.get(host);
    if (cached) return cached;
    const row = this.sql.topologyAt(host, Number.MAX_SAFE_INTEGER);
    if (!row) return null;
    const topology = decodeTopology(row.data);
    const entry = { t: row.t, topology, digest: digestOf(JSON.stringify(topology)) };
    this.latest.set(host, entry);
    return entry;
  }

  setLatest(host: string, entry: LatestTopology): void {
    this.latest.set(host, entry);
  }

  /** After a bulk writer (import) wrote beside the cache. */
  clearCache(): void {
    this.latest.clear();
  }

  readRange(
    host: string,
    start: number,
    end: number,
    ropts: { maxSamples?: number; maxTopologies?: number } = {},
  ): Recording {
    const maxSamples = ropts.maxSamples ?? Number.POSITIVE_INFINITY;
    const maxTopologies = ropts.maxTopologies ?? Number.POSITIVE_INFINITY;
    // Row by row (iterate, not all): a range of a year must not load a year of blobs to answer
    // with its first hour; rows after the cap are never read.
    const rows = this.sql.chunksIn(host, start, end);
    const { samples, keyframes } = collectRange({
      start,
      end,
      maxSamples,
      chunks: (function* () {
        for (const row of rows) yield { start: row.start_t, codec: row.codec, data: row.data };
      })(),
      open: this.pendingFor(host),
      unreadable: (at, e) => {
        this.corruptChunks += 1;
        this.log.error(`store: skipping unreadable chunk ${host}@${at}: ${e.message}`);
      },
    });
    const { sql } = this;
    return assembleRange({
      host,
      start,
      end,
      maxSamples,
      maxTopologies,
      samples,
      keyframes,
      atStart: this.topologyAt(host, start),
      inside: function* (until) {
        for (const r of sql.topologiesIn(host, start, until))
          yield { t: r.t, topology: () => decodeTopology(r.data) };
      },
      first: () => {
        const r = sql.firstTopology(host);
        return r ? { t: r.t, topology: decodeTopology(r.data) } : null;
      },
    });
  }

  topologyAt(host: string, t: number): TopologyVersion | null {
    const latest = this.latest.get(host);
    if (latest && latest.t <= t) return { t: latest.t, topology: latest.topology };
    const r = this.sql.topologyAt(host, t);
    return r ? { t: r.t, topology: decodeTopology(r.data) } : null;
  }

  summaries(host: string, start: number, end: number): ChunkSummary[] {
    const out: ChunkSummary[] = [];
    for (const r of this.sql.summariesIn(host, start, end)) {
      if (!r.summary) continue;
      out.push({
        start: r.start_t,
        end: r.end_t,
        samples: r.samples,
        ...(JSON.parse(r.summary) as LossSummary),
      });
    }
    return out;
  }
}
