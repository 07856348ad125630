import type { SliceCreator } from '../store/types.ts';
import { DEFAULT_FLEET_FILTER, type FleetFilter } from './filter.ts';

/** The fleet overview's filter; in the URL with the rest of the view (url/view.ts). */
export interface FleetSlice {
  fleet: FleetFilter;
  setFleetFilter: (patch: Partial<FleetFilter>) => void;
}

export const createFleetSlice: SliceCreator<FleetSlice> = (set, get) => ({
  fleet: DEFAULT_FLEET_FILTER,
  setFleetFilter: (patch) => set({ fleet: { ...get().fleet, ...patch } }),
});
