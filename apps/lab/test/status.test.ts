import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatStatus, parseIpAddr, parseRps } from '../src/status.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('lab status', () => {
  it('reads rps_cpus masks, keeping only the non-zero ones', () => {
    expect(parseRps(fixture('rps-qrouter-a1.txt'))).toEqual(new Map([['qg-a1', '2']]));
    expect(parseRps('eth0 00000000,00000010\n')).toEqual(new Map([['eth0', '10']]));
  });

  it('turns real `ip -j -d addr` output into rows (captured with the backlog fault on)', () => {
    const rows = parseIpAddr(
      'hwlab-qrouter-a1',
      fixture('ip-j-d-addr-qrouter-a1.json'),
      parseRps(fixture('rps-qrouter-a1.txt')),
    );
    expect(rows).toEqual([
      {
        id: 'hwlab-qrouter-a1/qg-a1',
        kind: 'veth',
        operstate: 'up',
        adminUp: true,
        mtu: 1500,
        master: null,
        addresses: ['203.0.113.10/24'],
        qdisc: 'noqueue',
        rpsCpus: '2',
      },
      {
        id: 'hwlab-qrouter-a1/qr-a1',
        kind: 'veth',
        operstate: 'up',
        adminUp: true,
        mtu: 1500,
        master: null,
        addresses: ['10.10.0.1/24'],
        qdisc: 'noqueue',
        rpsCpus: null,
      },
    ]);
  });

  it('says down when nothing is there, and names the fault and the changed sysctls', () => {
    expect(formatStatus({ up: false, namespaces: [], ifaces: [], fault: null, sysctls: [] })).toMatch(
      /lab: down/,
    );
    const text = formatStatus({
      up: true,
      namespaces: ['hwlab-qrouter-a1'],
      ifaces: parseIpAddr(
        'hwlab-qrouter-a1',
        fixture('ip-j-d-addr-qrouter-a1.json'),
        new Map([['qg-a1', '2']]),
      ),
      fault: { kind: 'backlog', hop: 'hwlab-qrouter-a1/qg-a1', detail: 'RPS', since: '2026-01-01T00:00:00Z' },
      sysctls: [{ name: 'net.core.netdev_max_backlog', original: '1000', current: '1' }],
    });
    expect(text).toContain('fault: backlog on hwlab-qrouter-a1/qg-a1');
    expect(text).toContain('net.core.netdev_max_backlog = 1 (was 1000)');
    expect(text).toMatch(/hwlab-qrouter-a1\/qg-a1 +veth +up +mtu 1500 +203\.0\.113\.10\/24 +rps_cpus 2/);
  });
});
