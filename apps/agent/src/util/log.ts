import { printable } from '@hopwatch/shared/text';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogFn = (level: LogLevel, msg: string) => void;

/** Messages quote namespace and interface names, which anyone can choose: printable() them. */
export const stderrLog: LogFn = (level, msg) => {
  process.stderr.write(`hopwatch agent: ${level === 'info' ? '' : `${level}: `}${printable(msg)}\n`);
};

/** The same problem repeats every sample (a namespace that cannot be read): say it once a minute. */
const REPEAT_QUIET_MS = 60_000;

export function onceEvery(log: LogFn, quietMs = REPEAT_QUIET_MS): LogFn {
  const last = new Map<string, number>();
  return (level, msg) => {
    const now = Date.now();
    const seen = last.get(msg);
    if (seen !== undefined && now - seen < quietMs) return;
    if (last.size > 1000) last.clear();
    last.set(msg, now);
    log(level, msg);
  };
}
