#!/usr/bin/env node
// The `hopwatch` command. Runs the TypeScript sources directly through tsx so a checkout works
// right after `npm ci`, with no build step between a newcomer and the tool.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../apps/cli/src/main.ts');
process.exitCode = await main(process.argv.slice(2));
