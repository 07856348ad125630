import { describe, expect, it } from 'vitest';
import { classifyMonitorLine, type MonitorLine } from '../src/parse/monitor.ts';
import { fixture } from './support/fixtures.ts';

/** The captured `ip monitor label … all-nsid` of a throwaway namespace (nsid 0), line by line. */
const LINES = fixture('ip/monitor-label.txt').split('\n');

/** The fixture's line that starts with `head` (after the `[nsid 0]` prefix), classified. */
function of(head: string): MonitorLine {
  const line = LINES.find((l) => l.startsWith(`[nsid 0]${head}`));
  if (line === undefined) throw new Error(`no line ${head} in the fixture`);
  const c = classifyMonitorLine(line);
  if (c === null) throw new Error(`${line} classified as a continuation`);
  return c;
}

describe('COL7: which ip monitor events can change what the probe reports (parse/monitor.ts)', () => {
  it('continuation lines and blank ones are no events; every other line of the capture is one', () => {
    expect(classifyMonitorLine('    link/ether ee:54:2e:54:44:21 brd ff:ff:ff:ff:ff:ff')).toBeNull();
    expect(classifyMonitorLine('       valid_lft forever preferred_lft forever')).toBeNull();
    expect(classifyMonitorLine('')).toBeNull();
    const events = LINES.map(classifyMonitorLine).filter((e) => e !== null);
    expect(events.length).toBe(LINES.filter((l) => l.startsWith('[nsid 0]')).length);
    expect(events.every((e) => e.nsid === 0)).toBe(true);
  });

  it('the host is [nsid current] (nsid null); a line without a label is a change', () => {
    expect(classifyMonitorLine('[nsid current][LINK]3250: hwtagc0@if2: <BROADCAST> mtu 1500')).toEqual({
      nsid: null,
      kind: 'change',
    });
    expect(classifyMonitorLine('[nsid 4]fe80::/64 dev eth0 proto kernel metric 256 pref medium')).toEqual({
      nsid: 4,
      kind: 'change',
    });
  });

  it('kept: every link event (new, up, MTU, down, rename, deleted)', () => {
    const links = LINES.filter((l) => l.startsWith('[nsid 0][LINK]'));
    expect(links.length).toBeGreaterThanOrEqual(10);
    for (const l of links) expect(classifyMonitorLine(l)?.kind, l).toBe('change');
  });

  it('kept: IPv4 netconf (forwarding, rp_filter, a device’s, deleted); ignored: IPv6 netconf', () => {
    expect(of('[NETCONF]inet all forwarding on').kind).toBe('change');
    expect(of('[NETCONF]inet ifb0 rp_filter strict').kind).toBe('change');
    expect(of('[NETCONF]inet ifb1 forwarding off').kind).toBe('change');
    expect(of('[NETCONF]Deleted inet ifb1').kind).toBe('change');
    expect(of('[NETCONF]inet6 all forwarding on').kind).toBe('ignore');
    expect(of('[NETCONF]inet6 ifb0 forwarding off').kind).toBe('ignore');
    expect(of('[NETCONF]Deleted inet6 ifb1').kind).toBe('ignore');
    // iproute2 before its JSON output named the families ipv4/ipv6.
    expect(classifyMonitorLine('[nsid 2][NETCONF]ipv6 dev eth0 forwarding on')?.kind).toBe('ignore');
    expect(classifyMonitorLine('[nsid 2][NETCONF]ipv4 dev eth0 forwarding on')?.kind).toBe('change');
  });

  it('kept: IPv4 routes of the main table (connected, via, default, deleted)', () => {
    expect(of('[ROUTE]10.9.0.0/24 dev ifb1 proto kernel').kind).toBe('change');
    expect(of('[ROUTE]10.9.1.2 dev ifb1').kind).toBe('change');
    expect(of('[ROUTE]default via 10.9.0.2 dev ifb1').kind).toBe('change');
    expect(of('[ROUTE]Deleted 10.9.0.0/24').kind).toBe('change');
    // an IPv4 route through an IPv6 gateway (RFC 5549) is still IPv4
    expect(classifyMonitorLine('[nsid 2][ROUTE]default via inet6 fe80::1 dev eth0 ')?.kind).toBe('change');
    expect(classifyMonitorLine('[nsid 2][ROUTE]unreachable 10.8.0.0/16 ')?.kind).toBe('change');
  });

  it('ignored: routes of other tables (local, broadcast, policy table 100) and every IPv6 route', () => {
    expect(of('[ROUTE]local 10.9.0.1 dev ifb1 table local').kind).toBe('ignore');
    expect(of('[ROUTE]broadcast 10.9.0.255').kind).toBe('ignore');
    expect(of('[ROUTE]10.11.0.0/16 via 10.9.0.2 dev ifb1 table 100').kind).toBe('ignore');
    expect(of('[ROUTE]Deleted local 10.9.0.1').kind).toBe('ignore');
    expect(of('[ROUTE]multicast ff00::/8 dev ifb0').kind).toBe('ignore');
    expect(of('[ROUTE]fe80::/64 dev ifb0').kind).toBe('ignore');
    expect(of('[ROUTE]local fe80::').kind).toBe('ignore');
    expect(of('[ROUTE]anycast fe80:: dev ifb0').kind).toBe('ignore');
    expect(of('[ROUTE]2001:db8:5::/64 dev ifb0').kind).toBe('ignore');
    expect(of('[ROUTE]default via fe80::1 dev ifb0').kind).toBe('ignore');
    expect(of('[ROUTE]Deleted default via fe80::1').kind).toBe('ignore');
    expect(classifyMonitorLine('[nsid 2][ROUTE]default dev eth0 metric 1024 pref medium')?.kind).toBe(
      'ignore',
    );
    expect(classifyMonitorLine('[nsid 2][MROUTE](10.0.0.1,239.1.1.1) Iif: eth0')?.kind).toBe('ignore');
  });

  it('addresses (IPv4, IPv6 global and link-local) are facts to check against the probe; a peer address is a change', () => {
    expect(of('[ADDR]3: ifb1    inet 10.9.0.1/24')).toEqual({
      nsid: 0,
      kind: 'address',
      ifindex: 3,
      address: '10.9.0.1/24',
      present: true,
    });
    expect(of('[ADDR]3: ifb1    inet6 fe80::ec54:2eff:fe54:4421/64')).toMatchObject({
      kind: 'address',
      ifindex: 3,
      address: 'fe80::ec54:2eff:fe54:4421/64',
      present: true,
    });
    expect(of('[ADDR]2: ifb0    inet6 2001:db8:1::1/64')).toMatchObject({ address: '2001:db8:1::1/64' });
    expect(of('[ADDR]Deleted 2: ifb0    inet6 fe80::e8d5:f0ff:fe3a:4c38/64')).toMatchObject({
      kind: 'address',
      ifindex: 2,
      address: 'fe80::e8d5:f0ff:fe3a:4c38/64',
      present: false,
    });
    expect(of('[ADDR]1: lo    inet6 ::1/128')).toMatchObject({ ifindex: 1, address: '::1/128' });
    expect(of('[ADDR]3: ifb1    inet 10.9.1.1 peer').kind).toBe('change');
  });
});
