import { IFACE_COUNTER_INDEX } from '@hopwatch/shared';
import { describe, expect, it } from 'vitest';
import { parseNetDev, scanNetDevBytes } from '../src/parse/netdev.ts';
import { parseSnmp, SNMP_FIELDS } from '../src/parse/snmp.ts';
import { parseSoftnet } from '../src/parse/softnet.ts';
import { fixture } from './support/fixtures.ts';

describe('scanNetDevBytes (COL8)', () => {
  const scan = (text: string, names: readonly string[] = []) => {
    const rows = new Map<string, unknown[]>();
    const out = scanNetDevBytes(Buffer.from(text, 'latin1'), names, (name, values) =>
      rows.set(name, values.slice()),
    );
    return { rows, names: out };
  };

  it('COL8: gives the same rows as parseNetDev, in file order, without a map of rows', () => {
    const text = fixture('tree/proc/self/net/dev');
    const { rows, names } = scan(text);
    expect(rows).toEqual(parseNetDev(text));
    expect(names).toEqual([...parseNetDev(text).keys()]);
  });

  it('COL8: unchanged names hand back the very same array; a rename, a vanished or a new line a new one', () => {
    const text = fixture('tree/proc/self/net/dev');
    const first = scan(text).names;
    expect(scan(text, first).names).toBe(first);
    const renamed = scan(text.replace(/^(\s*)eth0:/m, '$1eth9:'), first).names;
    expect(renamed).not.toBe(first);
    expect(renamed).toContain('eth9');
    const fewer = scan(text.replace(/^\s*lo:.*\n/m, ''), first).names;
    expect(fewer).toEqual(first.filter((n) => n !== 'lo'));
    const more = scan(`${text}   new0: ${'0 '.repeat(16)}\n`, first).names;
    expect(more).toEqual([...first, 'new0']);
  });

  it('COL8: a line without its 16 counters is left out, the rest still read', () => {
    const text = fixture('tree/proc/self/net/dev');
    const broken = text.replace(/^(\s*lo:)(.*)$/m, '$1 1 2 3');
    const { rows } = scan(broken);
    expect(rows.has('lo')).toBe(false);
    expect(rows.size).toBe(parseNetDev(text).size - 1);
  });
});

describe('scanNetDevBytes with the previous read (COL10)', () => {
  const text = fixture('tree/proc/self/net/dev');
  const scan = (now: string, before: string, keep: (name: string) => boolean = () => true) => {
    const parsed = new Map<string, unknown[]>();
    const same: string[] = [];
    const names = scanNetDevBytes(
      Buffer.from(now, 'latin1'),
      [],
      (name, values) => parsed.set(name, values.slice()),
      {
        bytes: Buffer.from(before, 'latin1'),
        same: (name) => {
          same.push(name);
          return keep(name);
        },
      },
    );
    return { parsed, same, names };
  };
  const all = [...parseNetDev(text).keys()];

  it('COL10: only the lines that changed are parsed; the rest go to `same`, in file order', () => {
    const moved = text.replace(
      /^(\s*eth0:\s*)(\d+)/m,
      (_, head: string, n: string) => `${head}${Number(n) + 1}`,
    );
    const { parsed, same, names } = scan(moved, text);
    expect([...parsed.keys()]).toEqual(['eth0']);
    expect(parsed.get('eth0')).toEqual(parseNetDev(moved).get('eth0'));
    expect(same).toEqual(all.filter((n) => n !== 'eth0'));
    expect(names).toEqual(all);
  });

  it('COL10: a line `same` does not keep is parsed after all', () => {
    const { parsed, same } = scan(text, text, (name) => name !== 'lo');
    expect(same).toEqual(all);
    expect([...parsed.keys()]).toEqual(['lo']);
    expect(parsed.get('lo')).toEqual(parseNetDev(text).get('lo'));
  });

  it('COL10: a new line shifts the rest out of step: everything after it is parsed, correctly', () => {
    const lines = text.split('\n');
    const added = [...lines.slice(0, 3), `   new0: ${'7 '.repeat(16)}`, ...lines.slice(3)].join('\n');
    const { parsed, same, names } = scan(added, text);
    expect(same).toEqual([all[0]]);
    expect(new Map([...parsed].map(([k, v]) => [k, v]))).toEqual(
      new Map([...parseNetDev(added)].filter(([k]) => k !== all[0])),
    );
    expect(names).toEqual([all[0], 'new0', ...all.slice(1)]);
  });

  it('COL10: an unchanged line without its counters stays out when `same` kept no row for it', () => {
    const broken = text.replace(/^(\s*lo:)(.*)$/m, '$1 1 2 3');
    const { parsed, same } = scan(broken, broken, (name) => name !== 'lo');
    expect(parsed.has('lo')).toBe(false);
    expect(same).toContain('lo');
  });
});

describe('parseNetDev', () => {
  it('reads every interface of a real /proc/net/dev with its 16 columns', () => {
    const rows = parseNetDev(fixture('tree/proc/self/net/dev'));
    expect([...rows.keys()]).toEqual(['lo', 'ifb0', 'ifb1', 'eth0', 'hwtagh0']);
    for (const row of rows.values()) expect(row).toHaveLength(16);
  });

  it('reads the backlog drops of the seed reproduction (rx_dropped of the namespace-side veth)', () => {
    const vr2 = parseNetDev(fixture('proc-net-dev-ns-with-drops.txt')).get('vr2')!;
    expect(vr2[IFACE_COUNTER_INDEX.rxBytes]).toBe(18464698);
    expect(vr2[IFACE_COUNTER_INDEX.rxPackets]).toBe(174197);
    expect(vr2[IFACE_COUNTER_INDEX.rxDropped]).toBe(8594);
    expect(vr2[IFACE_COUNTER_INDEX.txDropped]).toBe(4);
  });

  it('splits a long name glued to a wide counter at the colon', () => {
    const text = 'h1\nh2\nveth1234abcd:123456789012 5 0 1 0 0 0 0 9 8 0 0 0 0 0 0\n';
    expect(parseNetDev(text).get('veth1234abcd')).toEqual([
      123456789012, 5, 0, 1, 0, 0, 0, 0, 9, 8, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it('keeps u64 counters past 2^53 exact as bigint', () => {
    const text = 'h1\nh2\n  eth0: 18446744073709551615 9007199254740993 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n';
    const row = parseNetDev(text).get('eth0')!;
    expect(row[0]).toBe(18446744073709551615n);
    expect(row[1]).toBe(9007199254740993n);
    expect(row[8]).toBe(1);
  });

  it('hands back the previous array for an unchanged row, a new one for a changed row', () => {
    const text = fixture('tree/proc/self/net/dev');
    const first = parseNetDev(text);
    const again = parseNetDev(text, first);
    for (const [name, row] of again) expect(row).toBe(first.get(name));
    const changed = parseNetDev(text.replace(/eth0:\s+\d+/, 'eth0: 1'), first);
    expect(changed.get('eth0')).not.toBe(first.get('eth0'));
    expect(changed.get('eth0')![0]).toBe(1);
    expect(changed.get('lo')).toBe(first.get('lo'));
    // A vanished interface only costs the name shortcut, never a wrong name.
    const fewer = parseNetDev(text.replace(/^\s*ifb0:.*\n/m, ''), first);
    expect([...fewer.keys()]).toEqual(['lo', 'ifb1', 'eth0', 'hwtagh0']);
  });

  it('hands back the previous map itself when nothing changed, and a new one for any difference', () => {
    const text = fixture('tree/proc/self/net/dev');
    const first = parseNetDev(text);
    expect(parseNetDev(text, first)).toBe(first);
    const last = text.replace(/hwtagh0:\s+\d+/, 'hwtagh0: 7');
    const changedLast = parseNetDev(last, first);
    expect(changedLast).not.toBe(first);
    expect([...changedLast.keys()]).toEqual([...first.keys()]);
    expect(changedLast.get('hwtagh0')![0]).toBe(7);
    expect(changedLast.get('lo')).toBe(first.get('lo'));
    // one fewer at the end, one more at the end, a line cut short in the middle
    const noLast = parseNetDev(text.replace(/^\s*hwtagh0:.*\n/m, ''), first);
    expect([...noLast.keys()]).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    const more = parseNetDev(`${text}   new0: ${'0 '.repeat(16)}\n`, first);
    expect([...more.keys()]).toEqual([...first.keys(), 'new0']);
    const cut = parseNetDev(text.replace(/(ifb0:(?:\s+\d+){3}).*/, '$1'), first);
    expect([...cut.keys()]).toEqual(['lo', 'ifb1', 'eth0', 'hwtagh0']);
    expect(cut.get('ifb1')).toBe(first.get('ifb1'));
  });

  it('ignores truncated lines instead of inventing zeros', () => {
    expect(parseNetDev('h1\nh2\n  eth0: 1 2 3\n').size).toBe(0);
  });
});

describe('parseSoftnet', () => {
  it('15 columns (6.4+): CPU id from column 13, backlog gauge from column 12', () => {
    const rows = parseSoftnet(fixture('softnet/softnet-15-after.txt'));
    expect(rows.map((r) => r.cpu)).toEqual([0, 1]);
    expect(rows[1]).toMatchObject({
      processed: 0x18cb01,
      dropped: 0x2ae8,
      receivedRps: 0x10d179,
      backlogLen: 0,
    });
  });

  it('13 columns (5.10+) still carry the CPU id', () => {
    const rows = parseSoftnet(fixture('softnet/softnet-13.txt'));
    expect(rows.map((r) => r.cpu)).toEqual([0, 1]);
    expect(rows[1]!.dropped).toBe(0x2ae8);
  });

  it('11 and 9 columns (old kernels): CPU id is the line index, no backlog gauge', () => {
    for (const file of ['softnet/softnet-11.txt', 'softnet/softnet-9.txt']) {
      const rows = parseSoftnet(fixture(file));
      expect(rows.map((r) => r.cpu)).toEqual([0, 1]);
      expect(rows[1]!.backlogLen).toBeNull();
      expect(rows[1]!.dropped).toBe(0x2ae8);
    }
    expect(parseSoftnet(fixture('softnet/softnet-9.txt'))[1]!.receivedRps).toBe(0);
  });

  it('with an offline CPU the column-13 id is kept, not the line number', () => {
    const line = (cpu: number) =>
      `00000010 00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 ${cpu.toString(16).padStart(8, '0')}`;
    expect(parseSoftnet(`${line(0)}\n${line(2)}\n`).map((r) => r.cpu)).toEqual([0, 2]);
  });
});

describe('parseSnmp', () => {
  it('reads Group.Field keys from /proc/net/snmp and /proc/net/netstat, wanted ones only', () => {
    const snmp = parseSnmp(fixture('tree/proc/self/net/snmp'));
    expect(snmp.get('Ip.InDiscards')).toBe(0);
    expect(snmp.get('Udp.NoPorts')).toBeTypeOf('number');
    expect(snmp.has('Ip.DefaultTTL')).toBe(false);
    const netstat = parseSnmp(fixture('tree/proc/self/net/netstat'));
    expect(netstat.has('TcpExt.ListenDrops')).toBe(true);
    expect(netstat.has('IpExt.InNoRoutes')).toBe(true);
    for (const key of [...snmp.keys(), ...netstat.keys()]) expect(SNMP_FIELDS).toContain(key);
  });

  it('takes each field from its own column (checked against a plain split of every group)', () => {
    for (const file of [
      'tree/proc/self/net/snmp',
      'tree/proc/self/net/netstat',
      'tree/proc/4242/net/netstat',
    ]) {
      const text = fixture(file);
      const lines = text.trim().split('\n');
      const expected = new Map<string, number>();
      for (let i = 0; i < lines.length; i += 2) {
        const [group, ...names] = lines[i]!.split(/:?\s+/);
        const values = lines[i + 1]!.split(/:?\s+/).slice(1);
        names.forEach((n, k) => {
          if (!values[k]!.startsWith('-')) expected.set(`${group}.${n}`, Number(values[k]));
        });
      }
      expect(parseSnmp(text, null)).toEqual(expected);
      const wanted = parseSnmp(text);
      for (const [k, v] of wanted) expect(expected.get(k)).toBe(v);
    }
  });

  it('skips negative gauges (Tcp.MaxConn = -1) when reading everything', () => {
    const all = parseSnmp(fixture('tree/proc/self/net/snmp'), null);
    expect(all.has('Tcp.MaxConn')).toBe(false);
    expect(all.get('Ip.DefaultTTL')).toBe(64);
  });
});
