import { selectReplayActive } from '../replay/replaySlice.ts';
import type { AppState, AppStore } from '../store/index.ts';
import type { Topology } from '@hopwatch/shared';
import type { EarlyJudge, EarlyState } from './early.ts';
import { type JudgeRequest, type JudgeResponse, postFrame } from './protocol.ts';

export interface JudgeClient {
  /** Hand a raw `sample` frame to the worker (decoded and validated there; bytes by transfer). */
  frame: (raw: string | ArrayBuffer) => void;
  /**
   * The hub's `topology` frame this topology was decoded from: when the store takes it, the
   * worker gets the text instead of a clone of the object graph (~30 ms at 3000 interfaces).
   */
  topologyFrame: (topology: Topology, raw: string) => void;
  /** Any other request (replay feeds its windows through this). */
  post: (req: JudgeRequest) => void;
  stop: () => void;
}

/** History fetched from the hub's recording when a host opens: sparklines and the window start full. */
export const SEED_HISTORY_MS = 3 * 60_000;

/** Best effort: an older hub or a host without recordings just starts with an empty history. */
async function seed(host: string, post: (req: JudgeRequest) => void): Promise<void> {
  const end = Date.now();
  const url = `/api/hosts/${encodeURIComponent(host)}/recording?start=${end - SEED_HISTORY_MS}&end=${end}`;
  try {
    const res = await fetch(url);
    if (res.ok) post({ kind: 'seed', host, raw: await res.text() });
  } catch {
    // no recording to start from
  }
}

/**
 * Runs the judgement in a Web Worker and keeps it in step with the store: host, topology and
 * path changes go to the worker, its answers come back through applyJudgement. Returns null when
 * the browser cannot start a worker: the store then judges in place (same code, main thread).
 */
export function startJudge(store: AppStore, early: EarlyJudge | null = null): JudgeClient | null {
  let worker: Worker;
  // The entry's worker (judge/early.ts) was told the URL's host, path and first topology: the
  // store's first word on each is not said again when it is the same (a reset would throw the
  // judged window away). Its judgements so far wait until the store has the topology they are
  // about, then are applied in order, before any later one.
  let told: EarlyState | null = null;
  let pending: JudgeResponse[] | null = null;
  /** The host the early judge was given samples of (the store's, unless the URL changed since). */
  let earlySamplesOf: string | null = null;
  if (early !== null) {
    const adopted = early.adopt();
    worker = adopted.worker;
    told = adopted.told;
    pending = told === null ? null : adopted.answers;
    if (adopted.samples > 0) earlySamplesOf = told?.host ?? null;
  } else {
    try {
      worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    } catch {
      return null;
    }
  }
  const post = (req: JudgeRequest) => worker.postMessage(req);
  let seeded: string | null = null;
  /**
   * The host whose recording is fetched once its first judgement is applied: the minutes before
   * fill the sparklines, and the first picture does not wait for them (fetching, parsing and
   * judging them beside the first sample cost it 100–250 ms on a busy machine, bench/first.ts).
   */
  let seedAfter: string | null = null;
  const startSeed = (host: string) => {
    // Not while replaying: the live minutes would merge into the replayed history (the replay
    // controller reseeds when it returns to live).
    if (selectReplayActive(store.getState())) return;
    void seed(host, (req) => {
      if (!selectReplayActive(store.getState())) post(req);
    });
  };
  const apply = (res: JudgeResponse) => {
    switch (res.kind) {
      case 'judged':
        store.getState().applyJudgement(res);
        if (seedAfter === res.host) {
          seedAfter = null;
          startSeed(res.host);
        }
        return;
      case 'hop':
        store.getState().applyHop(res.host, res.hop);
        return;
      case 'bad-frame':
        store.getState().countBadFrame();
        console.warn(`hopwatch: dropped a bad sample frame: ${res.error}`);
        return;
      default: {
        const never: never = res;
        throw new Error(`unknown judge response ${JSON.stringify(never)}`);
      }
    }
  };
  worker.onmessage = (ev: MessageEvent<JudgeResponse>) => {
    // Only judgements wait (they need the topology); a bad frame or a hop's history does not.
    if (pending !== null && ev.data.kind === 'judged') pending.push(ev.data);
    else apply(ev.data);
  };
  const drain = () => {
    const list = pending ?? [];
    pending = null;
    for (const res of list) apply(res);
  };
  /** The early judge's word on `what`, once: true when the store's first word is the same. */
  const toldAlready = <K extends keyof EarlyState>(what: K, value: EarlyState[K]): boolean => {
    if (told === null) return false;
    const said = told[what];
    told = { ...told, [what]: undefined };
    return said !== undefined && said === value;
  };
  store.setState({ judgeExternally: true });
  const frameOf = new WeakMap<Topology, string>();
  const offs = [
    store.subscribe(
      (s: AppState) => s.host,
      (host) => {
        if (toldAlready('host', host)) return;
        // Another host: whatever the early judge said is about the old one (applyJudgement drops it).
        told = null;
        drain();
        post({ kind: 'reset', host });
      },
      { fireImmediately: true },
    ),
    store.subscribe(
      (s: AppState) => s.topology,
      (topology) => {
        const { host } = store.getState();
        if (topology === null || host === null) return;
        const raw = frameOf.get(topology);
        if (raw === undefined || !toldAlready('topologyRaw', raw))
          post(
            raw !== undefined ? { kind: 'topology-frame', host, raw } : { kind: 'topology', host, topology },
          );
        if (seeded !== host && !selectReplayActive(store.getState())) {
          seeded = host;
          seedAfter = host;
        }
        // The store now holds what the early answers are about.
        drain();
      },
      { fireImmediately: true },
    ),
    // What the map draws with numbers: the visible interface nodes (a new view graph, not a tick).
    store.subscribe(
      (s: AppState) => s.viewGraph,
      (graph) =>
        post({
          kind: 'watch',
          ids: graph === null ? null : graph.nodes.filter((n) => n.kind === 'iface').map((n) => n.id),
        }),
      { fireImmediately: true },
    ),
    store.subscribe(
      (s: AppState) => s.sel,
      (id) => post({ kind: 'select', id }),
      { fireImmediately: true },
    ),
    store.subscribe(
      (s: AppState) => `${s.from ?? ''}\n${s.to ?? ''}`,
      () => {
        const { from, to } = store.getState();
        if (toldAlready('path', `${from ?? ''}\n${to ?? ''}`)) return;
        post({ kind: 'path', from, to });
      },
      { fireImmediately: true },
    ),
  ];
  if (earlySamplesOf !== null && earlySamplesOf === store.getState().host) store.getState().noteSampleSent();
  return {
    frame: (raw) => {
      postFrame(worker, raw);
      store.getState().noteSampleSent();
    },
    topologyFrame: (topology, raw) => frameOf.set(topology, raw),
    post,
    stop: () => {
      for (const off of offs) off();
      worker.terminate();
      store.setState({ judgeExternally: false });
    },
  };
}
