import { agentCommand } from './commands/agent.ts';
import { diagnoseCommand } from './commands/diagnose.ts';
import { hubCommand } from './commands/hub.ts';
import { labCommand } from './commands/lab.ts';
import { replayCommand } from './commands/replay.ts';
import { startCommand } from './commands/start.ts';
import { type Command, EXIT_USAGE, runCommand } from './command.ts';

/** apps/cli is the composition root: the one place allowed to import several apps. */
const COMMANDS: Command[] = [
  startCommand,
  hubCommand,
  agentCommand,
  diagnoseCommand,
  labCommand,
  replayCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'hopwatch: find the hop where packets disappear.',
    '',
    'Usage: hopwatch <command> [options]     (hopwatch <command> --help for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    console.error(`hopwatch: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  return runCommand(command, rest);
}
