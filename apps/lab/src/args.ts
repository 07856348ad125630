/**
 * `hopwatch lab …` arguments, parsed purely: the CLI (apps/cli) runs node:util parseArgs with
 * LAB_OPTIONS and hands the result here; errors come back as values, the CLI turns them into a
 * usage error (exit 2).
 */
import { checkHop } from './faults.ts';
import { FAULT_KINDS, type FaultKind } from './state.ts';
import { type TrafficOptions, resolveTraffic } from './traffic.ts';

export const LAB_OPTIONS = {
  hop: { type: 'string' },
  json: { type: 'boolean' },
  'no-verify': { type: 'boolean' },
  ovs: { type: 'boolean' },
  'max-backlog': { type: 'string' },
  mtu: { type: 'string' },
  rate: { type: 'string' },
  seconds: { type: 'string' },
  size: { type: 'string' },
  to: { type: 'string' },
  probe: { type: 'boolean' },
  count: { type: 'string' },
  percent: { type: 'string' },
  'conntrack-max': { type: 'string' },
  flows: { type: 'string' },
  noise: { type: 'string' },
} as const;

export type LabValues = {
  [K in keyof typeof LAB_OPTIONS]?: (typeof LAB_OPTIONS)[K]['type'] extends 'string' ? string : boolean;
};

export type LabCommand =
  | { sub: 'up'; verify: boolean; ovs: boolean; json: boolean }
  | { sub: 'down'; json: boolean }
  | { sub: 'status'; json: boolean }
  | {
      sub: 'fault';
      kind: FaultKind;
      hop?: string;
      maxBacklog?: number;
      mtu?: number;
      firewallPercent?: number;
      conntrackMax?: number;
      json: boolean;
    }
  | { sub: 'traffic'; traffic: TrafficOptions; json: boolean };

export type Parsed = { ok: true; cmd: LabCommand } | { ok: false; error: string };

const SUBCOMMANDS = ['up', 'down', 'status', 'fault', 'traffic'] as const;

/** Which options each subcommand accepts; anything else is a mistake worth saying. */
const ALLOWED: Record<(typeof SUBCOMMANDS)[number], readonly (keyof typeof LAB_OPTIONS)[]> = {
  up: ['no-verify', 'ovs', 'json'],
  down: ['json'],
  status: ['json'],
  fault: ['hop', 'max-backlog', 'mtu', 'percent', 'conntrack-max', 'json'],
  traffic: ['rate', 'seconds', 'size', 'to', 'probe', 'count', 'flows', 'noise', 'json'],
};

function int(flag: string, v: string | undefined, min: number, max: number): number | undefined | string {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max)
    return `--${flag} must be an integer from ${min} to ${max}, got "${v}"`;
  return n;
}

export function parseLabArgs(positionals: readonly string[], values: LabValues): Parsed {
  const [sub, ...rest] = positionals;
  if (sub === undefined) return { ok: false, error: `a subcommand is needed: ${SUBCOMMANDS.join(' | ')}` };
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) {
    return { ok: false, error: `unknown subcommand "${sub}" (one of: ${SUBCOMMANDS.join(', ')})` };
  }
  const s = sub as (typeof SUBCOMMANDS)[number];
  const stray = (Object.keys(values) as (keyof typeof LAB_OPTIONS)[]).filter(
    (k) => values[k] !== undefined && !ALLOWED[s].includes(k),
  );
  if (stray.length > 0)
    return { ok: false, error: `lab ${s} does not take ${stray.map((k) => `--${k}`).join(', ')}` };
  const json = values.json ?? false;
  const expectPositionals = s === 'fault' ? 1 : 0;
  if (rest.length !== expectPositionals) {
    return s === 'fault'
      ? { ok: false, error: `lab fault needs exactly one KIND: ${FAULT_KINDS.join(' | ')}` }
      : { ok: false, error: `lab ${s} takes no arguments, got "${rest.join(' ')}"` };
  }
  switch (s) {
    case 'up':
      return { ok: true, cmd: { sub: 'up', verify: !values['no-verify'], ovs: values.ovs ?? false, json } };
    case 'down':
    case 'status':
      return { ok: true, cmd: { sub: s, json } };
    case 'fault': {
      const kind = rest[0]!;
      if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
        return { ok: false, error: `unknown fault "${kind}" (one of: ${FAULT_KINDS.join(', ')})` };
      }
      const maxBacklog = int('max-backlog', values['max-backlog'], 0, 1_000_000);
      const mtu = int('mtu', values.mtu, 68, 1499);
      const conntrackMax = int('conntrack-max', values['conntrack-max'], 1, 10_000_000);
      for (const v of [maxBacklog, mtu, conntrackMax])
        if (typeof v === 'string') return { ok: false, error: v };
      let firewallPercent: number | undefined;
      if (values.percent !== undefined) {
        firewallPercent = Number(values.percent);
        if (!/^\d+(\.\d+)?$/.test(values.percent) || firewallPercent < 0.01 || firewallPercent > 100)
          return { ok: false, error: `--percent must be a number from 0.01 to 100, got "${values.percent}"` };
      }
      const cmd: LabCommand = { sub: 'fault', kind: kind as FaultKind, json };
      if (kind === 'none' && values.hop !== undefined) {
        return { ok: false, error: 'lab fault none clears every fault; it takes no --hop' };
      }
      if (kind !== 'none') {
        // An unknown or unsuitable hop is a usage error with the list to choose from.
        const hop = checkHop(kind as Exclude<FaultKind, 'none'>, values.hop);
        if (!hop.ok) return { ok: false, error: hop.error };
      }
      if (values.hop !== undefined) cmd.hop = values.hop;
      if (typeof maxBacklog === 'number') cmd.maxBacklog = maxBacklog;
      if (typeof mtu === 'number') cmd.mtu = mtu;
      if (typeof conntrackMax === 'number') cmd.conntrackMax = conntrackMax;
      if (firewallPercent !== undefined) cmd.firewallPercent = firewallPercent;
      return { ok: true, cmd };
    }
    case 'traffic': {
      const traffic: TrafficOptions = {};
      const nums = {
        rate: int('rate', values.rate, 0, 1_000_000),
        seconds: int('seconds', values.seconds, 0, 86_400),
        size: int('size', values.size, 1, 65_507),
        probeCount: int('count', values.count, 1, 1_000_000),
        flows: int('flows', values.flows, 1, 4096),
        noise: int('noise', values.noise, 0, 10_000),
      };
      for (const v of Object.values(nums)) if (typeof v === 'string') return { ok: false, error: v };
      if (typeof nums.rate === 'number') traffic.rate = nums.rate;
      if (typeof nums.seconds === 'number') traffic.seconds = nums.seconds;
      if (typeof nums.size === 'number') traffic.size = nums.size;
      if (typeof nums.probeCount === 'number') traffic.probeCount = nums.probeCount;
      if (typeof nums.flows === 'number') traffic.flows = nums.flows;
      if (typeof nums.noise === 'number') traffic.noise = nums.noise;
      if (values.to !== undefined) traffic.to = values.to;
      if (values.probe || nums.probeCount !== undefined) traffic.probe = true;
      // The same checks startTraffic makes, so a bad --to or --size is a usage error (exit 2).
      const r = resolveTraffic(traffic);
      if (!r.ok) return { ok: false, error: r.error };
      return { ok: true, cmd: { sub: 'traffic', traffic, json } };
    }
    default: {
      const never: never = s;
      return { ok: false, error: `unknown subcommand ${never}` };
    }
  }
}
