import { spawnSync } from 'node:child_process';

let setprivWorks: boolean | null = null;

/**
 * A long-running helper that must die with the agent even when the agent is SIGKILLed. Helpers
 * reading a pipe from us (holders, tc) see EOF and exit by themselves; a reader of trace_pipe
 * or of netlink (`cat`, `ip monitor`) would block on forever — and an orphaned `cat` keeps the
 * tracefs instance busy so no later start can remove it (seen here: instance stuck, EBUSY). So
 * such helpers run under `setpriv --pdeathsig KILL` (util-linux) when it exists.
 */
export function tiedToUs(cmd: string, args: string[]): { cmd: string; args: string[] } {
  setprivWorks ??= spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true'], { stdio: 'ignore' }).status === 0;
  return setprivWorks ? { cmd: 'setpriv', args: ['--pdeathsig', 'KILL', cmd, ...args] } : { cmd, args };
}
