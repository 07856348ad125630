import { parseArgs, type ParseArgsConfig } from 'node:util';

/** One `hopwatch <name>` command. `run` returns the process exit code. */
export interface Command {
  name: string;
  summary: string;
  /** Full help text shown by `hopwatch <name> --help`. */
  help: string;
  run(argv: string[]): Promise<number>;
}

export const EXIT_OK = 0;
/** diagnose: a loss finding exists. */
export const EXIT_LOSS = 1;
export const EXIT_USAGE = 2;

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * parseArgs with the house rules: unknown flags and missing values are a UsageError (exit 2)
 * with the command's name in the message, never a stack trace.
 */
export function parseCommandArgs<O extends Options>(command: string, options: O, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError(`hopwatch ${command}: ${(e as Error).message}`);
  }
}

export function intOption(
  command: string,
  flag: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(
      `hopwatch ${command}: --${flag} must be a number from ${min} to ${max}, got "${value}"`,
    );
  }
  return n;
}

/** One command with the house rules: `--help` prints its help, a UsageError exits 2 with it. */
export async function runCommand(command: Command, argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`${e.message}\n\n${command.help}`);
      return EXIT_USAGE;
    }
    console.error(`hopwatch ${command.name}: ${(e as Error).stack ?? e}`);
    return 1;
  }
}
