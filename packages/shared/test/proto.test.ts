/**
 * Issue 10: drops inside a namespace (firewall, conntrack, rp_filter, routes, neighbours), judged
 * from real agent captures of the lab with each fault at two hops (fixtures/real/lab-proto.sh).
 */
import { describe, expect, it } from 'vitest';
import { DiagnosisSchema, diagnose, SampleSchema, TopologySchema } from '../src/index.ts';
import clean from './fixtures/real/lab-proto-clean.json' with { type: 'json' };
import conntrackEth0 from './fixtures/real/lab-conntrack-eth0.json' with { type: 'json' };
import conntrackQg from './fixtures/real/lab-conntrack-qg-a1.json' with { type: 'json' };
import firewallEth0 from './fixtures/real/lab-firewall-eth0.json' with { type: 'json' };
import firewallQg from './fixtures/real/lab-firewall-qg-a1.json' with { type: 'json' };
import neighQr from './fixtures/real/lab-neigh-qr-a1.json' with { type: 'json' };
import neighWan from './fixtures/real/lab-neigh-wan0.json' with { type: 'json' };
import norouteQg from './fixtures/real/lab-noroute-qg-a1.json' with { type: 'json' };
import norouteWan from './fixtures/real/lab-noroute-wan0.json' with { type: 'json' };
import rpfilterEth0 from './fixtures/real/lab-rpfilter-eth0.json' with { type: 'json' };
import rpfilterQg from './fixtures/real/lab-rpfilter-qg-a1.json' with { type: 'json' };

const UP = 'hwlab-up/wan0';
const QG = 'hwlab-qrouter-a1/qg-a1';
const QR = 'hwlab-qrouter-a1/qr-a1';
const VM = 'hwlab-vm1/eth0';

function capture(raw: unknown) {
  const r = raw as { topology: unknown; samples: unknown };
  return { topology: TopologySchema.parse(r.topology), samples: SampleSchema.array().parse(r.samples) };
}
const judge = (raw: unknown, from: string | null, to: string | null) => {
  const d = diagnose({ host: 'vm', ...capture(raw), from, to });
  DiagnosisSchema.strict().parse(d);
  return d;
};
type D = ReturnType<typeof judge>;
const hop = (d: D, id: string) => d.hops.find((h) => h.id === id);
const losses = (d: D) => d.findings.filter((f) => f.severity === 'loss');
const text = (d: D, rule: string) => {
  const f = d.findings.find((x) => x.rule === rule);
  return [f?.title, ...(f?.evidence ?? []), f?.fix, f?.command].join('\n');
};

describe('protocol drops in a namespace (real lab captures)', () => {
  it.each([
    ['R13', 'firewall in the router', firewallQg, QG, QG],
    ['R13', 'firewall in the VM', firewallEth0, VM, VM],
    ['R12', 'conntrack table full in the router', conntrackQg, QG, QG],
    ['R12', 'conntrack table full in the VM', conntrackEth0, VM, VM],
    ['R11', 'strict rp_filter in the router', rpfilterQg, QG, QG],
    ['R11', 'strict rp_filter in the VM', rpfilterEth0, VM, VM],
    ['R16', 'no route in the router (forwarding to the VM)', norouteQg, VM, QG],
    ['R16', 'no route in the uplink (its sends refused)', norouteWan, VM, UP],
    ['R15', 'the VM never answers the router’s ARP', neighQr, VM, QR],
    ['R15', 'the router never answers the uplink’s ARP', neighWan, QG, UP],
  ])('%s (real): %s → first loss finding on the right hop, which is red', (rule, _what, raw, to, at) => {
    const d = judge(raw, UP, to);
    expect(losses(d)[0]).toMatchObject({ rule, hop: at });
    expect(hop(d, at)?.status).toBe('loss');
    expect(hop(d, at)?.rules).toContain(rule);
    // LOC14: the evidence says how the drops got to the hop, and so does the hop's detail.
    expect(losses(d)[0]?.evidence.some((e) => e.startsWith(`attributed on ${at}`))).toBe(true);
    expect(hop(d, at)?.notes?.join('\n')).toMatch(new RegExp(`^${rule}: \\+[\\d ]+ packets dropped inside`));
    // Nothing else on the path is red.
    expect(d.hops.filter((h) => h.status === 'loss').map((h) => h.id)).toEqual([at]);
  });

  it('R13 (real): names the rule that dropped, its counter, the kernel reason and the command that removes it', () => {
    const d = judge(firewallQg, UP, QG);
    const t = text(d, 'R13');
    expect(t).toContain('hwlab firewall fault');
    expect(t).toMatch(/\(inet hwlab_fault input, hook input, handle \d+\) matched \+[\d ]+ packets/);
    expect(t).toMatch(/kfree_skb NETFILTER_DROP ×[\d ]+ at nft_do_chain/);
    expect(d.findings.find((f) => f.rule === 'R13')?.command).toMatch(
      /^ip netns exec hwlab-qrouter-a1 nft delete rule inet hwlab_fault input handle \d+$/,
    );
  });

  it('SEC3: R13 quotes the tenant’s table and chain names in the command it suggests for a root shell', () => {
    // A tenant names its own nft tables (`unshare -Urn nft add table inet '$(reboot)'`).
    const hostile = JSON.parse(
      JSON.stringify(firewallQg).replaceAll('"hwlab_fault"', '"$(reboot)"').replaceAll('"input"', '"a;b"'),
    );
    const command = judge(hostile, UP, QG).findings.find((f) => f.rule === 'R13')?.command ?? '';
    expect(command).toMatch(
      /^ip netns exec hwlab-qrouter-a1 nft delete rule inet '\$\(reboot\)' 'a;b' handle \d+$/,
    );
  });

  it('R13 (real): the same drops off the asked path are policy, a warning, never loss', () => {
    // The firewall in the VM, asked about the uplink → router path the VM is not on.
    const d = judge(firewallEth0, UP, QG);
    expect(losses(d)).toEqual([]);
    expect(d.findings.find((f) => f.rule === 'R13')?.severity).toBe('warn');
    expect(d.hops.every((h) => h.status !== 'loss')).toBe(true);
  });

  it('R12 (real): the namespace’s nf_conntrack drop column, the count and the global maximum, the sysctl to raise', () => {
    const t = text(judge(conntrackQg, UP, QG), 'R12');
    expect(t).toMatch(/nf_conntrack drop \+[\d ]+ in hwlab-qrouter-a1/);
    expect(t).toContain('nf_conntrack_count 64 in hwlab-qrouter-a1 of net.netfilter.nf_conntrack_max = 64');
    expect(t).toMatch(/kfree_skb NETFILTER_DROP ×[\d ]+ at nf_hook_slow/);
    expect(t).toContain('sysctl -w net.netfilter.nf_conntrack_max=262144');
  });

  it('R11 (real): the rp_filter values and the route that sends the answers another way', () => {
    const t = text(judge(rpfilterQg, UP, QG), 'R11');
    expect(t).toContain('kfree_skb IP_RPFILTER');
    expect(t).toContain('effective rp_filter on qg-a1: 1 (strict)');
    expect(t).toContain('203.0.113.1 via 10.10.0.5 dev qr-a1');
    expect(t).toContain('net.ipv4.conf.qg-a1.rp_filter=2');
  });

  it('R16 (real): the namespace counter that moved, its routes, and the route to add', () => {
    const r = text(judge(norouteQg, UP, VM), 'R16');
    expect(r).toContain('kfree_skb IP_INNOROUTES');
    expect(r).toContain('ip -n hwlab-qrouter-a1 route replace 10.10.0.0/24 dev qr-a1');
    const u = text(judge(norouteWan, UP, VM), 'R16');
    expect(u).toMatch(/Ip\.OutNoRoutes \+[\d ]+ in hwlab-up/);
    expect(u).toContain('ip -n hwlab-up route replace 10.10.0.0/24 via 203.0.113.10 dev wan0');
  });

  it('R15 (real): the unresolved neighbour and the device it waits on', () => {
    const t = text(judge(neighQr, UP, VM), 'R15');
    expect(t).toContain('neighbour 10.10.0.5 on qr-a1 in hwlab-qrouter-a1 is unresolved');
    expect(t).toContain('kfree_skb NEIGH_QUEUEFULL');
  });

  it('DIR1 (real): loss only on the reverse direction leaves the asked path green and says so on the hop', () => {
    // Asked about the VM → uplink direction: the VM's firewall drops what comes IN to the VM.
    const d = judge(firewallEth0, VM, UP);
    expect(d.path?.[0]).toBe(VM);
    expect(losses(d)).toEqual([]);
    expect(hop(d, VM)?.status).toBe('warn');
    expect(hop(d, VM)?.notes?.join('\n')).toMatch(/reverse direction/);
    // The uplink waiting for the router's ARP, asked about the router → uplink direction.
    const n = judge(neighWan, QG, UP);
    expect(n.findings.find((f) => f.rule === 'R15')).toMatchObject({ severity: 'warn', hop: UP });
    expect(hop(n, UP)?.status).toBe('warn');
    expect(hop(n, UP)?.notes?.join('\n')).toMatch(/reverse direction/);
    expect(losses(n)).toEqual([]);
  });

  it('LOC14 (real): without a path, protocol drops still land on the namespace’s hop', () => {
    const d = judge(rpfilterQg, null, null);
    expect(d.findings[0]).toMatchObject({ rule: 'R11', hop: QG, severity: 'loss' });
    expect(hop(d, QG)?.status).toBe('loss');
  });

  it('clean traffic with 400 flows, noise to a closed port and to a multicast group: no loss finding (real)', () => {
    for (const to of [QG, VM]) {
      const d = judge(clean, UP, to);
      expect(losses(d)).toEqual([]);
      expect(d.hops.filter((h) => h.status === 'loss' || h.status === 'down')).toEqual([]);
    }
  });
});
