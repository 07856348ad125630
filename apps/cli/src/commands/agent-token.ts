import { readFileSync, statSync } from 'node:fs';
import { UsageError } from '../command.ts';

/** A token file is one line; anything longer is not a token (and is not read whole). */
const TOKEN_FILE_MAX_BYTES = 4096;

/**
 * The agent token, from (first found) `--token-file FILE`, `--token T` or $HOPWATCH_TOKEN (SPEC
 * SEC4). A token on the command line is readable by every local user (/proc/PID/cmdline), so
 * it is accepted with a warning; the file (mode 0600, warned about when others can read it) or
 * the environment (/proc/PID/environ is readable only by the process's own user) are the ways
 * to pass it. Empty means none.
 */
export function agentToken(
  argvToken: string | undefined,
  tokenFile: string | undefined,
  envToken: string | undefined,
  warn: (msg: string) => void = (msg) => console.error(`hopwatch agent: warn: ${msg}`),
): string | null {
  if (tokenFile !== undefined && argvToken !== undefined)
    throw new UsageError('hopwatch agent: give --token-file or --token, not both');
  if (tokenFile !== undefined) return readTokenFile(tokenFile, warn);
  if (argvToken !== undefined) {
    warn(
      '--token on the command line is visible to every local user (ps); use --token-file or HOPWATCH_TOKEN',
    );
    return argvToken === '' ? null : argvToken;
  }
  return envToken === undefined || envToken === '' ? null : envToken;
}

function readTokenFile(path: string, warn: (msg: string) => void): string {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`hopwatch agent: --token-file ${path} is not a regular file`);
    if (st.size > TOKEN_FILE_MAX_BYTES)
      throw new UsageError(
        `hopwatch agent: --token-file ${path} is larger than ${TOKEN_FILE_MAX_BYTES} bytes`,
      );
    if ((st.mode & 0o077) !== 0)
      warn(
        `--token-file ${path} can be read by other users (mode ${(st.mode & 0o777).toString(8)}); chmod 600 it`,
      );
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(
      `hopwatch agent: cannot read --token-file ${path}: ${(e as NodeJS.ErrnoException).code}`,
    );
  }
  const token = text.split('\n')[0]!.trim();
  if (token === '') throw new UsageError(`hopwatch agent: --token-file ${path} is empty`);
  return token;
}
