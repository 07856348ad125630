/**
 * What both halves of `npm run bench:localize` do per step: ask `hopwatch diagnose --json` with a
 * short window, again and again, until it names the expected rule on the expected hop first among
 * the loss findings or the deadline passes; then wait out the deadline so the step's traffic (and
 * so its measured loss) always covers the same time.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Diagnosis } from '@hopwatch/shared';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** "Localised within 10 s" (the bar). */
export const STEP_DEADLINE_MS = 10_000;
/** Each diagnose poll samples this long; the CLI start (tsx, discovery) comes on top. */
export const POLL_WINDOW_S = 2;

/** `hopwatch diagnose --json` from the uplink to `to`, as a user runs it; null if it printed no JSON. */
function diagnose(to: string): Promise<Diagnosis | null> {
  return new Promise((resolve) => {
    const args = ['bin/hopwatch.mjs', 'diagnose', '--json', '--from', 'hwlab-up/wan0', '--to', to];
    const child = spawn(process.execPath, [...args, '--seconds', String(POLL_WINDOW_S)], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.on('close', () => {
      try {
        resolve(JSON.parse(out) as Diagnosis);
      } catch {
        resolve(null);
      }
    });
  });
}

export interface PollResult {
  /** From t0 to the diagnose that named it; null: not within the deadline. */
  foundMs: number | null;
  polls: number;
  /** The first loss finding of the last poll, `RULE@hop`, for the table. */
  lastFirst: string;
}

/** Polls from `t0` (when the fault went in) until `rule` on `hop` comes first, then waits out the deadline. */
export async function pollUntilFound(t0: number, to: string, rule: string, hop: string): Promise<PollResult> {
  let foundMs: number | null = null;
  let polls = 0;
  let lastFirst = '-';
  while (performance.now() - t0 < STEP_DEADLINE_MS) {
    const d = await diagnose(to);
    polls++;
    const f = d?.findings.find((x) => x.severity === 'loss') ?? null;
    lastFirst = f ? `${f.rule}@${f.hop}` : 'no loss finding';
    if (f?.rule === rule && f.hop === hop && performance.now() - t0 <= STEP_DEADLINE_MS) {
      foundMs = performance.now() - t0;
      break;
    }
  }
  const rest = STEP_DEADLINE_MS - (performance.now() - t0);
  if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  return { foundMs, polls, lastFirst };
}
