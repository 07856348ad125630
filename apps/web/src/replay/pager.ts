import type { RecordingPage } from './api.ts';
import { pageEnd, pageStart, ReplayBuffer } from './buffer.ts';

export type FetchPage = (host: string, start: number, end: number) => Promise<RecordingPage>;

export interface Pager {
  /** The buffer of `host`, a fresh one when the host changed (its pages and requests dropped). */
  bufferFor: (host: string) => ReplayBuffer;
  /** The buffer in use, or null before any. */
  current: () => ReplayBuffer | null;
  /** Load one page (PAGE_MS) of `host`; a page already loaded or on its way costs nothing. */
  load: (host: string, page: number) => Promise<void>;
  /** Just [from, to] (a seek's window), before its pages: kept loose in the buffer. */
  loadRange: (host: string, from: number, to: number) => Promise<void>;
  /** Forget everything (host changed). */
  reset: () => void;
}

/**
 * Recorded pages around the playhead, alone: one request per page however many ask, and an
 * answer for a buffer no longer in use (another host) is dropped, not merged.
 */
export function createPager(fetchPage: FetchPage): Pager {
  let buffer: ReplayBuffer | null = null;
  const inflight = new Map<number, Promise<void>>();

  const bufferFor = (host: string) => {
    if (buffer === null || buffer.host !== host) {
      buffer = new ReplayBuffer(host);
      inflight.clear();
    }
    return buffer;
  };

  return {
    bufferFor,
    current: () => buffer,
    load(host, page) {
      const buf = bufferFor(host);
      if (buf.has(page)) return Promise.resolve();
      const pending = inflight.get(page);
      if (pending) return pending;
      const p = fetchPage(host, pageStart(page), pageEnd(page))
        .then((r) => {
          if (buffer === buf) buf.add(page, r.samples, r.topologies);
        })
        .finally(() => {
          if (inflight.get(page) === p) inflight.delete(page);
        });
      inflight.set(page, p);
      return p;
    },
    async loadRange(host, from, to) {
      const buf = bufferFor(host);
      const r = await fetchPage(host, from, to);
      if (buffer === buf) buf.setLoose(from, to, r.samples, r.topologies);
    },
    reset() {
      buffer = null;
      inflight.clear();
    },
  };
}
