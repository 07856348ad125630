/**
 * The seed's counted probe, `ping -i 0.01 -c 4000 ADDR`, run from the uplink. Building the
 * command and reading ping's summary are pure.
 */
import { NS_UP } from './topology.ts';

export interface ProbeResult {
  to: string;
  sent: number;
  received: number;
  lost: number;
  /** lost / sent, 0 when nothing was sent. */
  lossRatio: number;
}

/** The seed's interval: 100 probes a second. */
export const PROBE_INTERVAL_S = 0.01;

export function probeArgv(to: string, count: number): string[] {
  // -W 1: a reply later than 1 s counts as lost, so a stop right after the last probe is honest.
  return [
    'netns',
    'exec',
    NS_UP,
    'ping',
    '-n',
    '-q',
    '-i',
    String(PROBE_INTERVAL_S),
    '-c',
    String(count),
    '-W',
    '1',
    to,
  ];
}

/** Reads `N packets transmitted, M received, ...` (iputils and busybox both print it). */
export function parsePingSummary(to: string, text: string): ProbeResult | null {
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(text);
  if (!m) return null;
  const sent = Number(m[1]);
  const received = Number(m[2]);
  const lost = Math.max(0, sent - received);
  return { to, sent, received, lost, lossRatio: sent === 0 ? 0 : lost / sent };
}
