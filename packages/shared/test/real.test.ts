import { describe, expect, it } from 'vitest';
import { DiagnosisSchema, diagnose, findPath, SampleSchema, TopologySchema } from '../src/index.ts';
import { LAB_PATH, LAB_VM_PATH } from './fixtures/lab.ts';
import backlog from './fixtures/real/jd-backlog.json' with { type: 'json' };
import clean from './fixtures/real/jd-clean.json' with { type: 'json' };
import labBacklog from './fixtures/real/lab-backlog.json' with { type: 'json' };
import labDown from './fixtures/real/lab-down.json' with { type: 'json' };
import labMtu from './fixtures/real/lab-mtu.json' with { type: 'json' };
import labQdisc from './fixtures/real/lab-qdisc.json' with { type: 'json' };
import down from './fixtures/real/jd-down.json' with { type: 'json' };
import mtu from './fixtures/real/jd-mtu.json' with { type: 'json' };
import qdisc from './fixtures/real/jd-qdisc.json' with { type: 'json' };

// JSON imports, not fs: packages/shared stays pure even in its tests (the lint rule says why).
const CAPTURES: Record<string, unknown> = {
  'jd-backlog': backlog,
  'jd-clean': clean,
  'jd-down': down,
  'jd-mtu': mtu,
  'jd-qdisc': qdisc,
  'lab-backlog': labBacklog,
  'lab-mtu': labMtu,
  'lab-qdisc': labQdisc,
  'lab-down': labDown,
};

/** Captures of the real agent on this kind of host (fixtures/real/README.md), validated as wire data. */
function capture(name: string) {
  const raw = CAPTURES[name] as { topology: unknown; samples: unknown };
  return { topology: TopologySchema.parse(raw.topology), samples: SampleSchema.array().parse(raw.samples) };
}
const A = 'hwt-jd-a/jda';
const B = 'hwt-jd-b/jdb';
const judge = (name: string, from = A, to = B) => {
  const d = diagnose({ host: 'vm', ...capture(name), from, to });
  DiagnosisSchema.strict().parse(d);
  return d;
};
const hop = (d: ReturnType<typeof judge>, id: string) => d.hops.find((h) => h.id === id);
const losses = (d: ReturnType<typeof judge>) => d.findings.filter((f) => f.severity === 'loss');

describe('real agent captures', () => {
  it('R01 (real): the seed’s recipe: backlog overflow on the RPS veth, CPU 1, netdev_max_backlog 1', () => {
    const d = judge('jd-backlog');
    expect(d.findings[0]).toMatchObject({ rule: 'R01', hop: B, reason: 'CPU_BACKLOG' });
    expect(d.findings[0]?.title).toBe('CPU backlog overflow on CPU 1 (netdev_max_backlog = 1)');
    expect(d.findings[0]?.evidence).toContain('rps_cpus = 2 on jdb (steers its receive work to CPU 1)');
    expect(hop(d, B)?.status).toBe('loss');
    // Traffic to the closed port is information, never a loss.
    expect(d.findings.find((f) => f.rule === 'R18')?.severity).toBe('info');
  });

  it('R10 (real): a veth pair with MTUs 1500 → 1400: NOT_SPECIFIED at __dev_forward_skb2 on the smaller end', () => {
    const d = judge('jd-mtu');
    expect(losses(d).map((f) => [f.rule, f.hop])).toEqual([['R10', B]]);
    expect(d.findings[0]?.evidence.join('\n')).toContain('at __dev_forward_skb2');
    expect(hop(d, A)?.status).toBe('ok');
  });

  it('R09 (real): a tbf overflow moves no interface counter and is still found on the sending veth', () => {
    const d = judge('jd-qdisc');
    expect(losses(d).map((f) => [f.rule, f.hop])).toEqual([['R09', A]]);
    expect(hop(d, A)).toMatchObject({ status: 'loss', txDropped: 0, rxDropped: 0 });
    expect(hop(d, B)?.status).toBe('ok');
  });

  it('R25 (real): a veth end set down: it is blamed, its peer has no carrier, both are down on the path', () => {
    const d = judge('jd-down');
    expect(d.findings[0]).toMatchObject({ rule: 'R25', hop: B, severity: 'loss' });
    expect(d.findings[0]?.evidence.join('\n')).toContain('NEIGH_FAILED');
    expect([hop(d, A)?.status, hop(d, B)?.status]).toEqual(['down', 'down']);
    expect(d.findings.some((f) => f.rule === 'R09' || f.rule === 'R15')).toBe(false);
  });

  it('LOC8 (real): a clean flood to a closed port: no loss finding, both hops ok', () => {
    const d = judge('jd-clean');
    expect(losses(d)).toEqual([]);
    expect(d.findings.map((f) => f.rule)).toEqual(['R18']);
    expect([hop(d, A)?.status, hop(d, B)?.status]).toEqual(['ok', 'ok']);
  });

  it('R01 (real lab): the seed on the lab: the eight-hop path, qg-a1 red, CPU 1, the sysctl', () => {
    const d = judge('lab-backlog', LAB_PATH[0], LAB_PATH[7]);
    expect(d.path).toEqual(LAB_PATH);
    expect(d.hops.map((h) => h.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'loss']);
    expect(losses(d).map((f) => [f.rule, f.hop])).toEqual([['R01', 'hwlab-qrouter-a1/qg-a1']]);
    const f = d.findings[0]!;
    expect(f.title).toBe('CPU backlog overflow on CPU 1 (netdev_max_backlog = 8)');
    expect(f.evidence).toContain('softnet dropped +50 on CPU 1');
    expect(f.command).toBe('sysctl -w net.core.netdev_max_backlog=10000');
    // The lab's own probe lost 0.108 %: the same order of magnitude, from the counters alone.
    expect(hop(d, 'hwlab-qrouter-a1/qg-a1')?.lossRatio).toBeGreaterThan(0.0005);
    expect(hop(d, 'hwlab-qrouter-a1/qg-a1')?.lossRatio).toBeLessThan(0.002);
  });

  it('R10 (real lab): qg-a1 at MTU 1450 behind a 1500 port: everything dropped at __dev_forward_skb2', () => {
    const d = judge('lab-mtu', LAB_PATH[0], LAB_PATH[7]);
    expect(losses(d).map((f) => [f.rule, f.hop])).toEqual([['R10', 'hwlab-qrouter-a1/qg-a1']]);
    expect(hop(d, 'hwlab-node/tap-qg-a1')?.status).toBe('ok');
    expect(d.findings[0]?.command).toBe('ip -n hwlab-qrouter-a1 link set dev qg-a1 mtu 1500');
  });

  it('R09 (real lab): tbf on tap-qg-a1 hides ~20 % loss from every interface counter; found anyway', () => {
    const d = judge('lab-qdisc', LAB_PATH[0], LAB_PATH[7]);
    expect(d.findings.map((f) => [f.rule, f.hop])).toEqual([['R09', 'hwlab-node/tap-qg-a1']]);
    const tap = hop(d, 'hwlab-node/tap-qg-a1');
    expect(tap).toMatchObject({ status: 'loss', txDropped: 0, pathIndex: 7 });
    expect(tap?.lossRatio).toBeGreaterThan(0.15);
    expect(hop(d, 'hwlab-qrouter-a1/qg-a1')?.status).toBe('ok');
  });

  it('R25 (real lab): qg-a1 down: both ends down on the path, the bridge’s drops are the count', () => {
    const d = judge('lab-down', LAB_PATH[0], LAB_PATH[7]);
    expect(d.findings.map((f) => [f.rule, f.hop])).toEqual([['R25', 'hwlab-qrouter-a1/qg-a1']]);
    expect(d.findings[0]?.evidence.join('\n')).toContain('at br_handle_frame_finish');
    expect(d.findings[0]?.count).toBeGreaterThan(40_000);
    expect(d.hops.slice(6).map((h) => h.status)).toEqual(['down', 'down']);
  });

  it('PATH1 (real): the lab as the real agent reports it gives the contract’s paths, decoy unvisited', () => {
    const { topology } = capture('jd-clean');
    expect(findPath(topology, 'hwlab-up/wan0', 'hwlab-qrouter-a1/qg-a1')).toEqual({
      ok: true,
      path: LAB_PATH,
    });
    expect(findPath(topology, 'hwlab-up/wan0', 'hwlab-vm1/eth0')).toEqual({ ok: true, path: LAB_VM_PATH });
    expect(findPath(topology, 'hwlab-vm1/eth0', 'hwlab-up/wan0')).toEqual({
      ok: true,
      path: [...LAB_VM_PATH].reverse(),
    });
  });
});
