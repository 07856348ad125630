import { describe, expect, it } from 'vitest';
import { createRunningWindow } from '@hopwatch/shared/judge/window-running';
import { evaluate } from '../src/judge/evaluate.ts';
import { iface, LAB_PATH, labSample, labTopology, row } from './fixtures/topo.ts';

const T0 = 1_760_000_000_000;
const window = (drops: number) => [1, 2, 3].map((k) => labSample(T0 + k * 1000, 1000, drops));

describe('browser judgement (shared code over the live window)', () => {
  it('finds the lab path and numbers its hops', () => {
    const j = evaluate(
      { host: 'lab', topology: labTopology(), samples: window(0), from: LAB_PATH[0]!, to: LAB_PATH[7]! },
      new Map(),
    );
    expect(j.path).toEqual(LAB_PATH);
    expect(LAB_PATH.map((id) => j.statsById.get(id)?.pathIndex)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(j.findings).toEqual([]);
    expect(j.statsById.get('hwlab-node/br-int')?.rxPps).toBe(1000);
  });

  it('MAP16: the path is found once per topology and ends, not on every sample', () => {
    const topology = labTopology();
    const input = { host: 'lab', topology, from: LAB_PATH[0]!, to: LAB_PATH[7]! };
    const a = evaluate({ ...input, samples: window(0) }, new Map());
    const b = evaluate({ ...input, samples: window(5) }, a.statsById);
    expect(b.path).toBe(a.path);
    // Another topology (even an equal one) is asked again.
    const c = evaluate({ ...input, topology: labTopology(), samples: window(0) }, new Map());
    expect(c.path).not.toBe(a.path);
    expect(c.path).toEqual(a.path);
  });

  it('colours the namespace-side veth and explains the backlog fault with R01', () => {
    const j = evaluate(
      {
        host: 'lab',
        topology: labTopology('backlog'),
        samples: window(50),
        from: LAB_PATH[0]!,
        to: LAB_PATH[7]!,
      },
      new Map(),
    );
    expect(j.statsById.get('hwlab-qrouter-a1/qg-a1')?.status).toBe('loss');
    expect(j.statsById.get('hwlab-node/tap-qg-a1')?.status).not.toBe('loss');
    const r01 = j.findings.find((f) => f.rule === 'R01');
    expect(r01?.hop).toBe('hwlab-qrouter-a1/qg-a1');
    expect(r01?.command).toContain('netdev_max_backlog');
  });

  it('says why there is no path, with suggestions', () => {
    const j = evaluate(
      { host: 'lab', topology: labTopology(), samples: window(0), from: 'hwlab-up/wan9', to: LAB_PATH[7]! },
      new Map(),
    );
    expect(j.path).toBeNull();
    expect(j.pathError).not.toBeNull();
    expect(j.pathSuggestions).toContain('hwlab-up/wan0');
  });

  it('WIN6: judged over the running window, every hop and finding is what the from-scratch merge gives', () => {
    // Twelve ticks: backlog drops that come and go, qg-a1's rx counter reset at tick 5 (its delta
    // is the new counter value), wan0 gone from the samples after tick 4, and from tick 7 a new
    // topology (the backlog fault's) with a new interface whose row comes with it.
    const extra = iface('hwlab-node', 'tap-new', 'veth', { master: 'hwlab-node/br-int' });
    const grown = labTopology('backlog');
    grown.ifaces = [...grown.ifaces, extra];
    const samples = Array.from({ length: 12 }, (_, i) => {
      const k = i + 1;
      const s = labSample(T0 + k * 1000, 1000 + k, k % 4 === 0 ? 30 + k : 0);
      if (k === 5) s.ifaces['hwlab-qrouter-a1/qg-a1'] = row({ rxPackets: 3, rxBytes: 3000 });
      if (k > 4) delete s.ifaces['hwlab-up/wan0'];
      if (k >= 7) s.ifaces[extra.id] = row({ txPackets: 5 * k, txBytes: 500 * k });
      return s;
    });
    const running = createRunningWindow();
    let prevA = new Map();
    let prevB = new Map();
    let withFindings = 0;
    samples.forEach((_, i) => {
      const input = {
        host: 'lab',
        topology: i < 6 ? labTopology() : grown,
        samples: samples.slice(Math.max(0, i - 4), i + 1),
        from: LAB_PATH[0]!,
        to: LAB_PATH[7]!,
      };
      const a = evaluate(input, prevA);
      const b = evaluate({ ...input, merge: running.merge }, prevB);
      expect(b).toEqual(a);
      if (b.findings.length > 0) withFindings++;
      prevA = a.statsById;
      prevB = b.statsById;
    });
    // The sequence does reach the cases: the new hop moves, there are findings to compare.
    expect(prevB.get(extra.id)?.txPps).toBeGreaterThan(0);
    expect(withFindings).toBeGreaterThan(3);
  });
});
