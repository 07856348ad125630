/**
 * Entry of dist/hopwatch.mjs (scripts/build-dist.mjs): the whole CLI, bundled. The checkout's
 * bin/hopwatch.mjs runs main.ts from source instead.
 */
import { main } from './main.ts';

process.exitCode = await main(process.argv.slice(2));
