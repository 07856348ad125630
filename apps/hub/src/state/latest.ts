import { IFACE_COUNTERS, type Sample } from '@hopwatch/shared';
import { type IfaceRows, ifacesOf, restTextOf, rowsOfSample } from './rows.ts';

const WIDTH = IFACE_COUNTERS.length;

/**
 * A host's latest live sample, copied into buffers the host keeps from sample to sample: its
 * interface ids (the same array while the agent sends the same interfaces in the same order, as
 * it does between topology changes) and one Float64Array of their rows. Built again as a Sample
 * only when read: when the host is judged (every 10 s when nobody watches it) or a browser starts
 * watching it.
 *
 * What it replaces (issue 12): JSON.stringify of every sample of every host, kept as text for
 * these reads. Holding the parsed sample instead (~3000 small objects at 1000 interfaces, alive
 * for a second, so promoted) made young-generation GC copy hundreds of thousands of objects.
 */
export class LatestSample {
  t = 0;
  /** The sample's ids (state/rows.ts): never changed once handed out, so kept as they are. */
  private ids: readonly string[] = [];
  private values = new Float64Array(0);
  /**
   * Everything but t, elapsedMs and ifaces (softnet, drops, qdiscs...: ~70 small objects on a
   * 64-CPU host) as its JSON text, the very string the open chunk keeps for the sample
   * (store/columns.ts), parsed again when read. Not the objects the frame check made (issue 12):
   * held for a second, every host's were copied by two scavenges into the old generation and
   * died there, a steady part of what a replica's garbage collector did.
   */
  private rest = '{}';
  private elapsedMs = 0;
  private text: string | null = null;

  /** `rows`, `rest`: the sample's interface rows and rest text (state/rows.ts), when made already. */
  set(sample: Sample, rows: IfaceRows = rowsOfSample(sample), rest: string = restTextOf(sample)): void {
    this.t = sample.t;
    this.elapsedMs = sample.elapsedMs;
    this.rest = rest;
    this.text = null;
    this.ids = rows.ids;
    const n = rows.ids.length * WIDTH;
    if (this.values.length < n) this.values = new Float64Array(Math.ceil(n * 1.25));
    const v = this.values;
    const from = rows.values;
    // + 0: -0 becomes 0, as it did through JSON.
    for (let i = 0; i < n; i++) v[i] = from[i]! + 0;
  }

  /** The sample, built again (a fresh object each call: callers may keep or change it). */
  sample(): Sample {
    return {
      t: this.t,
      elapsedMs: this.elapsedMs,
      ifaces: ifacesOf({ ids: this.ids, values: this.values }),
      ...(JSON.parse(this.rest) as Omit<Sample, 't' | 'elapsedMs' | 'ifaces'>),
    };
  }

  /** JSON.stringify(sample()), made once per sample and only when asked for. */
  json(): string {
    this.text ??= JSON.stringify(this.sample());
    return this.text;
  }
}
