import { describe, expect, it } from 'vitest';
import { DiagnosisSchema, diagnose, FindingSchema } from '../src/index.ts';
import { LAB_PATH, labTopology, SEED_HOP, withIface } from './fixtures/lab.ts';
import { dropAt, flow, sample, T0 } from './fixtures/samples.ts';
import { cleanScenario, seedScenario } from './fixtures/scenarios.ts';

const TAP_QG = 'hwlab-node/tap-qg-a1';

describe('diagnose', () => {
  it('DIAG1: with from/to, the hops are the path’s, in order, with pathIndex 1..n', () => {
    const d = diagnose({ host: 'hv1', ...seedScenario(), from: 'hwlab-up/wan0', to: SEED_HOP });
    expect(d.path).toEqual(LAB_PATH);
    expect(d.hops.map((h) => h.id)).toEqual(LAB_PATH);
    expect(d.hops.map((h) => h.pathIndex)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(d.hops.at(-1)).toMatchObject({ status: 'loss', rules: ['R01'] });
    expect(d.findings[0]).toMatchObject({ rule: 'R01', hop: SEED_HOP });
  });

  it('DIAG2: without a path, every interface that did something, worst first', () => {
    const { topology } = seedScenario();
    const ifaces = dropAt(flow(topology, LAB_PATH, 10_000), SEED_HOP, 3, TAP_QG);
    const t = withIface('hwlab-node/tap-qg-b2', { adminUp: false, operstate: 'down' }, topology);
    const d = diagnose({ host: 'hv1', topology: t, samples: [sample({ ifaces })] });
    expect(d.path).toBeNull();
    expect(d.hops[0]?.id).toBe('hwlab-node/tap-qg-b2');
    expect(d.hops[1]).toMatchObject({ id: SEED_HOP, status: 'loss' });
    expect(d.hops.every((h) => h.status !== 'idle' && h.pathIndex === null)).toBe(true);
    expect(d.hops.map((h) => h.id)).not.toContain('hwlab-vm1/eth0');
  });

  it('DIAG3: findings are ordered by severity (loss first), then by count', () => {
    const { topology, samples } = seedScenario({
      softnet: [
        { cpu: 0, timeSqueeze: 900 },
        { cpu: 1, dropped: 37 },
      ],
      snmp: { 'hwlab-qrouter-a1': { 'Udp.NoPorts': 5000 } },
    });
    const t = withIface('hwlab-node/tap-qg-b2', { adminUp: false, operstate: 'down' }, topology);
    const d = diagnose({ host: 'hv1', topology: t, samples });
    expect(d.findings.map((f) => [f.rule, f.severity])).toEqual([
      ['R01', 'loss'],
      ['R04', 'warn'],
      ['R25', 'warn'],
      ['R18', 'info'],
    ]);
  });

  it('DIAG4: an unknown interface is a PATH finding with the closest names, never a throw', () => {
    const d = diagnose({ host: 'hv1', ...cleanScenario(), from: 'hwlab-up/wan0', to: 'qg-a2' });
    expect(d.path).toBeNull();
    const p = d.findings.find((f) => f.rule === 'PATH');
    expect(p?.evidence.join(' ')).toContain('hwlab-qrouter-a1/qg-a1');
    const half = diagnose({ host: 'hv1', ...cleanScenario(), from: 'hwlab-up/wan0' });
    expect(half.findings[0]?.rule).toBe('PATH');
  });

  it('DIAG5: exactly the DiagnosisSchema object, with findings’ keys in schema order', () => {
    const d = diagnose({ host: 'hv1', ...seedScenario(), from: 'wan0', to: 'qg-a1' });
    expect(DiagnosisSchema.strict().safeParse(d).success).toBe(true);
    expect(Object.keys(d)).toEqual(['host', 'from', 'to', 'seconds', 'path', 'hops', 'findings']);
    expect(Object.keys(d.findings[0]!)).toEqual(Object.keys(FindingSchema.shape));
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it('DIAG6: the window: from = start of the first interval, to = end of the last, seconds = their sum', () => {
    const topology = labTopology();
    const s1 = sample({ t: T0 + 1000, elapsedMs: 1000 });
    const s2 = sample({ t: T0 + 2000, elapsedMs: 1000 });
    const d = diagnose({ host: 'hv1', topology, samples: [s2, s1] });
    expect([d.from, d.to, d.seconds]).toEqual([T0, T0 + 2000, 2]);
    const none = diagnose({ host: 'hv1', topology, samples: [] });
    expect([none.from, none.to, none.seconds, none.hops, none.findings]).toEqual([0, 0, 0, [], []]);
  });
});
