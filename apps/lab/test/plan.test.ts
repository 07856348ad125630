import { describe, expect, it } from 'vitest';
import { baselineSteps, createSteps, destroySteps, type Step } from '../src/plan.ts';
import { LAB_IFACES, LAB_NAMESPACES } from '../src/topology.ts';

const lines = (steps: Step[]) =>
  steps.flatMap((s) => (s.tool === 'sh' ? [s.script] : 'lines' in s ? s.lines : [s.args.join(' ')]));
const nsOf = (s: Step) => ('netns' in s ? s.netns : null);

describe('lab up: command building', () => {
  it('creates exactly the lab namespaces, and nothing outside them', () => {
    const steps = createSteps();
    const host = steps.filter((s) => s.tool === 'ip' && s.netns === null);
    expect(host).toEqual([{ tool: 'ip', netns: null, lines: LAB_NAMESPACES.map((n) => `netns add ${n}`) }]);
    for (const s of steps.filter((x) => x !== host[0])) expect(LAB_NAMESPACES).toContain(nsOf(s));
  });

  it('creates every interface once, veth peers straight into their namespace', () => {
    const all = lines(createSteps()).filter((l) => l.startsWith('link add'));
    for (const i of LAB_IFACES) {
      const mentions = all.filter((l) => l.includes(` name ${i.name} address ${i.mac}`));
      expect(mentions, i.name).toHaveLength(1);
    }
    expect(all).toContain(
      'link add name tap-qg-a1 address 02:48:57:00:00:07 type veth peer name qg-a1 address 02:48:57:00:00:0c netns hwlab-qrouter-a1',
    );
  });

  it('bridges have STP off, forward delay 0 and no multicast snooping', () => {
    const bridges = lines(createSteps()).filter((l) => l.includes('type bridge'));
    expect(bridges).toHaveLength(3);
    for (const b of bridges) expect(b).toMatch(/stp_state 0 forward_delay 0 mcast_snooping 0$/);
  });

  it('disables IPv6 in every namespace before any link exists', () => {
    const steps = createSteps();
    const firstLink = steps.findIndex(
      (s) => s.tool === 'ip' && s.lines.some((l) => l.startsWith('link add')),
    );
    const ipv6 = steps.filter((s) => s.tool === 'sh' && s.script.includes('ipv6/conf/default/disable_ipv6'));
    expect(ipv6.map(nsOf).sort()).toEqual([...LAB_NAMESPACES].sort());
    for (const s of ipv6) expect(steps.indexOf(s)).toBeLessThan(firstLink);
  });

  it('only the routers forward', () => {
    const on = createSteps().filter(
      (s) => s.tool === 'sh' && s.script.includes('echo 1 > /proc/sys/net/ipv4/ip_forward'),
    );
    expect(on.map(nsOf).sort()).toEqual(['hwlab-qrouter-a1', 'hwlab-qrouter-b2']);
  });

  it('baseline is idempotent: replace, never add', () => {
    const all = lines(baselineSteps());
    expect(all.filter((l) => /^(addr|route|neigh|fdb) add /.test(l))).toEqual([]);
    expect(all).toContain('route replace 10.10.0.0/24 via 203.0.113.10 dev wan0');
    expect(all).toContain('route replace default via 203.0.113.1 dev qg-a1');
    expect(all).toContain('neigh replace 203.0.113.10 lladdr 02:48:57:00:00:0c dev wan0 nud permanent');
    expect(all).toContain('fdb replace 02:48:57:00:00:0c dev tap-qg-a1 master static');
  });

  it('baseline clears every fault: MTU, up, RPS and qdisc on every veth', () => {
    const all = lines(baselineSteps()).join('\n');
    for (const i of LAB_IFACES.filter((x) => x.kind === 'veth')) {
      expect(all).toContain(`link set dev ${i.name} mtu 1500`);
      expect(all).toContain(`link set dev ${i.name} up`);
      expect(all).toContain(`echo 0 > /sys/class/net/${i.name}/queues/rx-0/rps_cpus`);
      expect(all).toContain(`tc qdisc del dev ${i.name} root`);
    }
  });

  it('names every device with dev/name (ip reads a bare "d" as the keyword dynamic)', () => {
    for (const l of lines([...createSteps(), ...baselineSteps()]).filter((x) => x.startsWith('link '))) {
      expect(l).toMatch(/^link (add name|set dev) /);
    }
  });

  it('bridges are configured before their ports are enslaved', () => {
    const node = baselineSteps().find((s) => s.tool === 'ip' && s.netns === 'hwlab-node');
    const ls = node?.tool === 'ip' ? node.lines : [];
    const up = (n: string) => ls.indexOf(`link set dev ${n} up`);
    expect(up('br-int')).toBeLessThan(ls.indexOf('link set dev tap-qg-a1 master br-int'));
  });

  it('down deletes only the namespaces it is given', () => {
    expect(destroySteps([])).toEqual([]);
    expect(destroySteps(['hwlab-up', 'hwlab-x'])).toEqual([
      { tool: 'ip', netns: null, lines: ['netns del hwlab-up', 'netns del hwlab-x'] },
    ]);
  });
});
