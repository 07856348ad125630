import type { Iface } from '@hopwatch/shared';
import type { HopStat } from '../judge/evaluate.ts';
import { fmtNum } from '../ui/format.ts';

/**
 * The packet waterfall's numbers: for each hop of the path, packets in and out per second and
 * the packets it lost, straight from the judge's hop stats, the very objects the path table
 * shows (one source, so the picture and the table cannot disagree). Pure: the component draws
 * it, the PNG export draws it, the screen-reader summary says it.
 */
export interface WaterfallStep {
  id: string;
  index: number;
  name: string;
  netns: string;
  inPps: number;
  outPps: number;
  dropsPerSec: number;
  /** Rule ids of the findings at this hop ('' when none). */
  rules: string;
  /** The judge's notes on this hop, one per line ('' when none). */
  notes: string;
  status: HopStat['status'];
}

export interface Waterfall {
  steps: WaterfallStep[];
  /** The largest in/out rate on the path (bars are drawn against it). */
  max: number;
  /** The first step where packets disappear, or null. */
  lossAt: WaterfallStep | null;
}

export function waterfallOf(
  path: readonly string[],
  stats: ReadonlyMap<string, HopStat>,
  ifaceById: ReadonlyMap<string, Iface>,
): Waterfall {
  const steps = path.map((id, i): WaterfallStep => {
    const st = stats.get(id);
    const iface = ifaceById.get(id);
    return {
      id,
      index: i + 1,
      name: iface?.name ?? id,
      netns: iface?.netns ?? '',
      inPps: st?.rxPps ?? 0,
      outPps: st?.txPps ?? 0,
      dropsPerSec: st?.dropsPerSec ?? 0,
      rules: st?.rules ?? '',
      notes: st?.notes ?? '',
      status: st?.status ?? 'idle',
    };
  });
  const max = Math.max(1, ...steps.flatMap((s) => [s.inPps, s.outPps]));
  return { steps, max, lossAt: steps.find((s) => s.dropsPerSec > 0) ?? null };
}

/** One sentence for screen readers: where packets disappear, or that they do not. */
export function waterfallSummary(w: Waterfall): string {
  if (w.steps.length === 0) return 'No path.';
  const first = w.steps[0]!;
  const last = w.steps.at(-1)!;
  const head = `${w.steps.length} hops from ${first.name} to ${last.name}; ${fmtNum(first.inPps)} packets per second enter`;
  if (w.lossAt === null) return `${head}, none are lost on the way.`;
  const at = w.lossAt;
  const rules = at.rules === '' ? '' : ` (${at.rules.split(',').join(', ')})`;
  return `${head}; packets disappear at hop ${at.index}, ${at.name}: ${fmtNum(at.dropsPerSec)} per second lost${rules}.`;
}
