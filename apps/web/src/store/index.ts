import { useStore } from 'zustand';
import { subscribeWithSelector } from 'zustand/middleware';
import { createStore } from 'zustand/vanilla';
import { createFleetSlice } from '../fleet/fleetSlice.ts';
import { createReplaySlice } from '../replay/replaySlice.ts';
import { createLiveSlice, type Evaluate } from './liveSlice.ts';
import { createSelectionSlice } from './selectionSlice.ts';
import { createTopologySlice } from './topologySlice.ts';
import type { AppState } from './types.ts';

export type { AppState } from './types.ts';

/**
 * One store from typed slices; middleware applied once, here. A factory so each test builds a
 * fresh store. The replay slice (createReplaySlice) is spread in beside the others. `evaluateInPlace`
 * judges samples in the store (tests); the app's judge runs in a worker (judge/client.ts).
 */
export function createAppStore(evaluateInPlace: Evaluate | null = null) {
  return createStore<AppState>()(
    subscribeWithSelector((...a) => ({
      ...createTopologySlice(...a),
      ...createLiveSlice(evaluateInPlace)(...a),
      ...createSelectionSlice(...a),
      ...createReplaySlice(...a),
      ...createFleetSlice(...a),
    })),
  );
}

export type AppStore = ReturnType<typeof createAppStore>;

/** The app's store. Non-React code (connection, URL sync, layout) uses appStore.subscribe. */
export const appStore: AppStore = createAppStore();

/** Select with a module-scope selector returning a primitive (or wrap it in useShallow). */
export function useApp<T>(selector: (s: AppState) => T): T {
  return useStore(appStore, selector);
}
