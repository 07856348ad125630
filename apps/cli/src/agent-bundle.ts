/**
 * Entry of dist/hopwatch-agent.mjs (scripts/build-dist.mjs): the agent alone, one file that runs
 * with nothing but Node — `node hopwatch-agent.mjs --hub wss://HUB:7070 --token-file F`. It imports
 * only the agent command, so neither the hub (express, SQLite) nor the lab is inside. A leading
 * `agent` word is accepted, so `hopwatch agent …` can hand its arguments over unchanged.
 */
import { runCommand } from './command.ts';
import { agentCommand } from './commands/agent.ts';

const argv = process.argv.slice(2);
process.exitCode = await runCommand(agentCommand, argv[0] === 'agent' ? argv.slice(1) : argv);
