import type { Sample, Topology } from '@hopwatch/shared';

/**
 * Recorded samples around the playhead, loaded from the hub in fixed pages. Pure data: the
 * controller fetches, this keeps and answers (window at t, neighbours, topology in force).
 *
 * 10 s pages: a seek needs one page (two near a page start) before it can show anything. On a
 * 1000-interface host a page is ~400 KB of JSON; 30 s pages (1.2 MB) put the API's p95 near
 * the 200 ms budget for "show me 03:12" on a busy machine (bench:replay).
 */
export const PAGE_MS = 10_000;
/** Pages kept around the playhead (~12 min): enough for sparklines and smooth playback. */
export const MAX_PAGES = 72;

export interface TopologyVersion {
  t: number;
  topology: Topology;
}

export const pageOf = (t: number) => Math.floor(t / PAGE_MS);
export const pageStart = (page: number) => page * PAGE_MS;
/** Inclusive end, as the hub's recording route takes it. */
export const pageEnd = (page: number) => (page + 1) * PAGE_MS - 1;

export class ReplayBuffer {
  private readonly pages = new Map<number, Sample[]>();
  private topologies: TopologyVersion[] = [];
  /** Just the judgement window of the latest seek, fetched before its pages (a quarter of the bytes). */
  private loose: { from: number; to: number; samples: Sample[] } | null = null;

  constructor(readonly host: string) {}

  has(page: number): boolean {
    return this.pages.has(page);
  }

  get pageCount(): number {
    return this.pages.size;
  }

  add(page: number, samples: readonly Sample[], topologies: readonly TopologyVersion[]): void {
    this.pages.set(
      page,
      [...samples].sort((a, b) => a.t - b.t),
    );
    this.addTopologies(topologies);
  }

  /** The samples of [from, to] alone, answered until the pages holding `to` arrive. */
  setLoose(
    from: number,
    to: number,
    samples: readonly Sample[],
    topologies: readonly TopologyVersion[],
  ): void {
    this.loose = { from, to, samples: [...samples].sort((a, b) => a.t - b.t) };
    this.addTopologies(topologies);
  }

  private addTopologies(topologies: readonly TopologyVersion[]): void {
    const known = new Set(this.topologies.map((v) => v.t));
    const added = topologies.filter((v) => !known.has(v.t));
    if (added.length > 0) this.topologies = [...this.topologies, ...added].sort((a, b) => a.t - b.t);
  }

  /** Drops the pages farthest from `t` beyond `max` (topologies are small and stay). */
  evict(t: number, max: number = MAX_PAGES): void {
    if (this.pages.size <= max) return;
    const here = pageOf(t);
    const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - here) - Math.abs(a - here));
    for (const p of far.slice(0, this.pages.size - max)) this.pages.delete(p);
  }

  /**
   * Loaded samples with from ≤ t ≤ to, oldest first, from contiguous pages only: a hole means
   * "not loaded", and a window across a hole would judge a longer interval than it says.
   */
  samplesUpTo(to: number, from: number, max: number): Sample[] {
    const paged = this.pagedUpTo(to, from);
    const l = this.loose;
    // The loose window answers until the pages around it are all in (the longer answer wins, so
    // a window never shrinks while its second page is still on the way).
    const loose =
      l !== null && l.from <= to && to <= l.to
        ? l.samples.filter((s) => s.t <= to && s.t >= Math.max(from, l.from))
        : [];
    const all = loose.length > paged.length ? loose : paged;
    return all.length > max ? all.slice(all.length - max) : all;
  }

  private pagedUpTo(to: number, from: number): Sample[] {
    const out: Sample[][] = [];
    for (let p = pageOf(to); p >= pageOf(from); p--) {
      const page = this.pages.get(p);
      if (!page) break;
      out.push(page.filter((s) => s.t <= to && s.t >= from));
    }
    return out.reverse().flat();
  }

  /** The sample shown at t: the last one at or before it among the loaded pages. */
  sampleAt(t: number): Sample | null {
    return this.samplesUpTo(t, t - PAGE_MS, 1)[0] ?? null;
  }

  /** The next (dir 1) or previous (dir -1) sample time after/before t, if loaded. */
  neighbour(t: number, dir: 1 | -1): number | null {
    const p = pageOf(t);
    for (const q of [p, p + dir, p + 2 * dir]) {
      const page = this.pages.get(q);
      if (!page) continue;
      const hit = dir === 1 ? page.find((s) => s.t > t) : page.findLast((s) => s.t < t);
      if (hit) return hit.t;
    }
    return null;
  }

  /** The version in force at t; before the first version, the first one (drawable at least). */
  topologyAt(t: number): TopologyVersion | null {
    return this.topologies.findLast((v) => v.t <= t) ?? this.topologies[0] ?? null;
  }
}

/**
 * Pages to fetch before t can be shown with a full judgement window: t's page, and the one before
 * when t sits so near its page's start that the window reaches back into it.
 */
export function pagesForWindow(t: number, windowMs: number): number[] {
  const first = pageOf(t - windowMs);
  const last = pageOf(t);
  const out: number[] = [];
  for (let p = last; p >= first; p--) out.push(p);
  return out;
}
