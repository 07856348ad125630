import { startEarly } from './connection/early.ts';

/**
 * The page's entry, a few KB: the session check and the hub socket start here, and the app
 * (start.tsx: React, the map, the store) is loaded beside them (index.html preloads it: see the
 * preloadApp plugin in vite.config.ts). The topology is on its way while the app is evaluated.
 */
startEarly(window);
void import('./start.tsx');
