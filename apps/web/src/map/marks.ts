/**
 * Performance marks the app sets for its own use and for the bench: the map framed its first
 * picture of a host (MapCanvas), which is also when replay starts loading (replay/later.ts).
 */
export const MARK_FIRST_MAP = 'hopwatch:first-map';
