// A collector in its own process, for the crash test: prints "ready" once armed, then idles
// until it is killed.
import { createCollector } from '../../src/index.ts';

await createCollector({ netnsGlob: '@host', log: () => {} });
console.log('ready');
setInterval(() => {}, 1000);
