import { KeyframeSchema, SampleSchema, TopologySchema } from '@hopwatch/shared';
import { z } from 'zod';

/**
 * The exported recording file (FORMAT.md): gzip'd NDJSON, a header line, then topology, sample,
 * keyframe and mark lines, then an end line with the counts. Every line is decoded with these
 * schemas on import: a file is user input, and the wire's own schemas (samples, topologies)
 * are reused so a recording holds exactly what an agent may send.
 */
export const RECORDING_FORMAT = 'hopwatch-recording';
export const RECORDING_FORMAT_VERSION = 1;
export const RECORDING_MEDIA_TYPE = 'application/gzip';
export const RECORDING_FILE_SUFFIX = '.hwrec.ndjson.gz';
/** gzip's magic bytes: the first check, so a wrong file gets a clear word, not a zlib error. */
export const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

const time = z.number().int().nonnegative();
const hostName = z.string().min(1);

export const HeaderSchema = z.object({
  format: z.literal(RECORDING_FORMAT),
  version: z.literal(RECORDING_FORMAT_VERSION),
  /** ISO time the file was written. */
  created: z.string(),
  /** What wrote it, e.g. "hopwatch-hub 0.1.0". */
  generator: z.string(),
  /** Wire protocol version of the samples and topologies inside. */
  protocol: z.number().int().positive(),
  start: time,
  end: time,
  hosts: z.array(hostName),
});
export type Header = z.infer<typeof HeaderSchema>;

export const MarkLineSchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().min(1),
  hosts: z.array(hostName).nullable(),
  start: time,
  end: time,
});
export type MarkLine = z.infer<typeof MarkLineSchema>;

export const CountsSchema = z.object({
  topology: z.number().int().nonnegative(),
  sample: z.number().int().nonnegative(),
  keyframe: z.number().int().nonnegative(),
  mark: z.number().int().nonnegative(),
});
export type Counts = z.infer<typeof CountsSchema>;

export const LineSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('topology'), host: hostName, t: time, topology: TopologySchema }),
  z.object({ type: z.literal('sample'), host: hostName, sample: SampleSchema }),
  z.object({ type: z.literal('keyframe'), host: hostName, keyframe: KeyframeSchema }),
  z.object({ type: z.literal('mark'), mark: MarkLineSchema }),
  z.object({ type: z.literal('end'), counts: CountsSchema }),
]);
export type Line = z.infer<typeof LineSchema>;

export const emptyCounts = (): Counts => ({ topology: 0, sample: 0, keyframe: 0, mark: 0 });
