#!/usr/bin/env node
// The `hopwatch` command.
// - Installed from the npm package: runs the bundles in dist/ (plain Node, no TypeScript at run
//   time); `hopwatch agent` is dist/hopwatch-agent.mjs, the same single file operators copy.
// - In a checkout: runs the TypeScript sources through tsx, so tests and development see every
//   edit at once with no build step between a newcomer and the tool (`npm start` runs the bundle).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../apps/cli/src/main.ts', import.meta.url));
if (existsSync(source) && process.env.HOPWATCH_DIST !== '1') {
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import(source);
  process.exitCode = await main(process.argv.slice(2));
} else if (process.argv[2] === 'agent') {
  await import('../dist/hopwatch-agent.mjs');
} else {
  await import('../dist/hopwatch.mjs');
}
