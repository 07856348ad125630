import type { AppState } from '../store/index.ts';

/**
 * `/` with no host chosen shows the fleet overview instead of the map (App.tsx). A single host
 * is still chosen by itself (connection/live.ts), so a one-machine hub opens on its map as before.
 */
export const selectShowFleet = (s: AppState): boolean => s.host === null;
