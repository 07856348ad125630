import type { Camera, View } from '../url/view.ts';
import type { SliceCreator } from './types.ts';

export type PickTarget = 'from' | 'to';
export type Theme = 'light' | 'dark';

/** What the operator looks at. Everything here but `picking` is in the URL (url/view.ts). */
export interface SelectionSlice {
  host: string | null;
  from: string | null;
  to: string | null;
  sel: string | null;
  t: View['t'];
  speed: number;
  cam: Camera | null;
  /** The packet waterfall under the path is open (URL `wf=1`). */
  wf: boolean;
  /** Next click on the map sets this end of the path. */
  picking: PickTarget | null;
  /** A request to bring a hop into view (seq makes a repeated request for the same hop count). */
  focus: { id: string; seq: number } | null;
  /** Colour theme (a preference, kept in localStorage rather than the URL). */
  theme: Theme;
  applyView: (view: View) => void;
  setHost: (host: string | null) => void;
  setFrom: (id: string | null) => void;
  setTo: (id: string | null) => void;
  setPath: (from: string | null, to: string | null) => void;
  select: (id: string | null) => void;
  setCamera: (cam: Camera | null) => void;
  setPicking: (target: PickTarget | null) => void;
  /** A click on a hop: fills the end being picked, otherwise selects it. */
  clickHop: (id: string) => void;
  /** Esc: selection first, then the path. */
  clearStep: () => void;
  /** Select a hop and bring it into view (search, findings, path list). */
  reveal: (id: string) => void;
  setTheme: (theme: Theme) => void;
  setWaterfall: (open: boolean) => void;
}

export const createSelectionSlice: SliceCreator<SelectionSlice> = (set, get) => ({
  host: null,
  from: null,
  to: null,
  sel: null,
  t: 'live',
  speed: 1,
  cam: null,
  wf: false,
  picking: null,
  focus: null,
  theme: 'light',
  applyView: (view) => {
    const hostChanged = view.host !== get().host;
    // A view without a recording leaves the one open before (replay/): rec and pos reset first.
    set({ rec: null, pos: null, ...view, wf: view.wf === true, picking: null });
    if (hostChanged) {
      get().clearTopology();
      get().clearLive();
    } else get().rejudge();
  },
  setHost: (host) => {
    if (host === get().host) return;
    set({ host, from: null, to: null, sel: null, cam: null, picking: null });
    get().clearTopology();
    get().clearLive();
  },
  setFrom: (from) => {
    set({ from, picking: null });
    get().rejudge();
  },
  setTo: (to) => {
    set({ to, picking: null });
    get().rejudge();
  },
  setPath: (from, to) => {
    set({ from, to, picking: null });
    get().rejudge();
  },
  select: (sel) => {
    set({ sel });
    get().refreshHop();
  },
  setCamera: (cam) => set({ cam }),
  setPicking: (picking) => set({ picking }),
  clickHop: (id) => {
    const { picking } = get();
    if (picking === 'from') get().setFrom(id);
    else if (picking === 'to') get().setTo(id);
    else get().select(id);
  },
  clearStep: () => {
    const s = get();
    if (s.picking !== null) set({ picking: null });
    else if (s.sel !== null) s.select(null);
    else if (s.from !== null || s.to !== null) s.setPath(null, null);
  },
  reveal: (id) => {
    set((s) => ({ focus: { id, seq: (s.focus?.seq ?? 0) + 1 } }));
    get().select(id);
  },
  setTheme: (theme) => set({ theme }),
  setWaterfall: (wf) => set({ wf }),
});
