import { startEarly } from './connection/early.ts';
import { warmLocalTime } from './replay/time.ts';

/**
 * The page's entry, a few KB: the session check and the hub socket start here, and the app
 * (start.tsx: React, the map, the store) is loaded beside them (index.html preloads it: see the
 * preloadApp plugin in vite.config.ts). The topology is on its way while the app is evaluated.
 */
startEarly(window);
void import('./start.tsx');
// The locale data the clock needs, loaded while the main thread waits for the app's bundle.
setTimeout(warmLocalTime, 0);
