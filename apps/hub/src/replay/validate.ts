import { type Counts, emptyCounts, type Header, HeaderSchema, type Line, LineSchema } from './format.ts';
import { MARK_MAX_SPAN_MS } from '../store/marks.ts';
import { RECORDING_FORMAT, RECORDING_FORMAT_VERSION } from './format.ts';

/** A file that cannot be imported, said in words with the line it broke on. Nothing was written. */
export class RecordingFileError extends Error {}

export interface HostExtent {
  first: number;
  last: number;
  samples: number;
  topologies: number;
}

function issue(e: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const i = e.issues[0];
  const where = i && i.path.length > 0 ? ` at ${i.path.map(String).join('.')}` : '';
  return `${i?.message ?? 'invalid'}${where}`;
}

function header(text: string): Header {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new RecordingFileError('not a hopwatch recording: the first line is not a JSON header');
  }
  const h = (raw ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || h.format !== RECORDING_FORMAT)
    throw new RecordingFileError(
      `not a hopwatch recording: the header's format is ${JSON.stringify(h.format)}, expected "${RECORDING_FORMAT}"`,
    );
  if (typeof h.version === 'number' && h.version > RECORDING_FORMAT_VERSION)
    throw new RecordingFileError(
      `this recording has format version ${h.version}, written by a newer hopwatch; ` +
        `this one reads version ${RECORDING_FORMAT_VERSION}. Replay it with a newer hopwatch.`,
    );
  const parsed = HeaderSchema.safeParse(raw);
  if (!parsed.success) throw new RecordingFileError(`line 1: invalid header: ${issue(parsed.error)}`);
  return parsed.data;
}

/**
 * Checks a recording line by line, before anything is written: JSON, schema, hosts named in the
 * header, samples in time order per host, a topology for every host with samples, and an end
 * line whose counts match (a truncated file has none). Returns each line normalised (unknown
 * keys dropped by the schemas), ready to be written.
 */
export class RecordingValidator {
  header: Header | null = null;
  readonly hosts = new Map<string, HostExtent>();
  private lineNo = 0;
  private readonly counts: Counts = emptyCounts();
  private ended = false;

  line(text: string): string | null {
    this.lineNo += 1;
    const n = this.lineNo;
    if (n === 1) {
      this.header = header(text);
      for (const h of this.header.hosts) this.hosts.set(h, { first: 0, last: 0, samples: 0, topologies: 0 });
      return JSON.stringify(this.header);
    }
    if (text === '') return null;
    if (this.ended) throw new RecordingFileError(`line ${n}: data after the end line`);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      throw new RecordingFileError(`line ${n}: not JSON (${(e as Error).message})`);
    }
    const parsed = LineSchema.safeParse(raw);
    if (!parsed.success) {
      const type = (raw as { type?: unknown } | null)?.type;
      throw new RecordingFileError(
        `line ${n}: invalid ${typeof type === 'string' ? type : ''} line: ${issue(parsed.error)}`,
      );
    }
    this.check(parsed.data, n);
    return JSON.stringify(parsed.data);
  }

  private check(l: Line, n: number): void {
    if (l.type === 'end') {
      this.ended = true;
      const c = this.counts;
      const e = l.counts;
      if (
        c.topology !== e.topology ||
        c.sample !== e.sample ||
        c.keyframe !== e.keyframe ||
        c.mark !== e.mark
      )
        throw new RecordingFileError(
          `line ${n}: the end line counts ${JSON.stringify(e)} but the file holds ${JSON.stringify(c)}: damaged`,
        );
      return;
    }
    this.counts[l.type] += 1;
    if (l.type === 'mark') {
      if (l.mark.end - l.mark.start > MARK_MAX_SPAN_MS)
        throw new RecordingFileError(
          `line ${n}: the named recording "${l.mark.name}" spans more than ${MARK_MAX_SPAN_MS / 86_400_000} days; ` +
            'a hub keeps marked data past retention, so it takes marks of at most that',
        );
      return;
    }
    const ext = this.hosts.get(l.host);
    if (!ext) throw new RecordingFileError(`line ${n}: host "${l.host}" is not listed in the header`);
    if (l.type === 'topology') ext.topologies += 1;
    if (l.type === 'sample') {
      if (ext.samples > 0 && l.sample.t <= ext.last)
        throw new RecordingFileError(`line ${n}: samples of "${l.host}" are not in time order`);
      if (ext.samples === 0) ext.first = l.sample.t - l.sample.elapsedMs;
      ext.last = l.sample.t;
      ext.samples += 1;
    }
  }

  /** After the last line: throws when the file stopped early or a host cannot be drawn. */
  finish(): { header: Header; hosts: Map<string, HostExtent>; counts: Counts } {
    if (this.header === null) throw new RecordingFileError('empty file: no header line');
    if (!this.ended)
      throw new RecordingFileError(`the file ends at line ${this.lineNo} without its end line: truncated`);
    for (const [host, ext] of this.hosts)
      if (ext.samples > 0 && ext.topologies === 0)
        throw new RecordingFileError(`host "${host}" has samples but no topology: nothing to draw them on`);
    return { header: this.header, hosts: this.hosts, counts: this.counts };
  }
}
