import type { StateCreator } from 'zustand';
import type { FleetSlice } from '../fleet/fleetSlice.ts';
import type { ReplaySlice } from '../replay/replaySlice.ts';
import type { LiveSlice } from './liveSlice.ts';
import type { SelectionSlice } from './selectionSlice.ts';
import type { TopologySlice } from './topologySlice.ts';

/**
 * The whole store: one object built from typed slices. A replay slice (createReplaySlice, the
 * replay engineer's) joins this intersection and the spread in store/index.ts.
 */
export type AppState = TopologySlice & LiveSlice & SelectionSlice & ReplaySlice & FleetSlice;

/** Middleware is applied once, at the root (store/index.ts); slices only declare it. */
export type SliceCreator<T> = StateCreator<AppState, [['zustand/subscribeWithSelector', never]], [], T>;
