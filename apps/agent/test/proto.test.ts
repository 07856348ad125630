import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { NsEntry } from '../src/discovery/namespaces.ts';
import type { Runner } from '../src/discovery/probe.ts';
import { parseArp, parseConntrackStat, parseNftRuleset, parseRpFilter } from '../src/proto/parse.ts';
import { inNamespace, NsProtoReader } from '../src/proto/reader.ts';
import { fixture } from './support/fixtures.ts';

/** Issue 10: what the protocol rules need per namespace, parsed from real kernel output. */
describe('protocol state parsers (real output)', () => {
  it('nft -j list ruleset: drop and reject rules with their chain, hook, handle, words and counter', () => {
    const rules = parseNftRuleset(JSON.parse(fixture('proto/nft-ruleset.json')));
    expect(rules.map((r) => [r.chain, r.hook, r.handle, r.verdict, r.total])).toEqual([
      ['forwarding', 'forward', 0, 'drop', null],
      ['input', 'input', 4, 'drop', 0],
      ['input', 'input', 5, 'reject', null],
      ['input', 'input', 6, 'drop', null],
      ['input', 'input', 8, 'drop', 0],
      ['other', null, 10, 'reject', null],
    ]);
    expect(rules[0]?.text).toBe('policy drop');
    expect(rules[1]?.text).toBe('udp dport 9000 numgen random mod 10000 < 500 drop comment "x"');
    expect(rules[4]?.text).toBe('meta l4proto { icmp, udp } ip saddr 10.0.0.0/8 drop');
    expect(parseNftRuleset(null)).toEqual([]);
  });

  it('ip -j netconf: only the non-zero rp_filter values, by interface and all', () => {
    expect(parseRpFilter(JSON.parse(fixture('proto/netconf.json')))).toEqual({ lo: 2, all: 1 });
    expect(parseRpFilter(null)).toEqual({});
  });

  it('/proc/net/stat/nf_conntrack: entries and the drop columns summed over CPUs (hex)', () => {
    expect(parseConntrackStat(fixture('proto/nf_conntrack-full.txt'))).toMatchObject({ entries: 64 });
    const t = parseConntrackStat(fixture('proto/nf_conntrack-full.txt'))!;
    expect(t.drop).toBeGreaterThan(0);
    expect(parseConntrackStat('garbage')).toBeNull();
  });

  it('/proc/net/arp: entries, and the unresolved ones with their device', () => {
    const a = parseArp(fixture('proto/arp-unresolved.txt'));
    expect(a.unresolved).toEqual([{ ip: '10.10.0.5', dev: 'qr-a1' }]);
    expect(a.entries).toBeGreaterThanOrEqual(2);
  });

  it('enters a namespace with a fixed argv, never a shell', () => {
    const named: NsEntry = { name: 'r1', inode: 1, kind: 'named', pid: 77, via: null, sysDev: null };
    expect(inNamespace(named, 'ip', ['-j', 'netconf', 'show'])).toEqual({
      cmd: 'ip',
      args: ['-n', 'r1', '-j', 'netconf', 'show'],
    });
    expect(inNamespace(named, 'nft', ['-j', 'list', 'ruleset'])).toEqual({
      cmd: 'nsenter',
      args: ['--net=/proc/77/ns/net', 'nft', '-j', 'list', 'ruleset'],
    });
    expect(inNamespace({ ...named, pid: null }, 'nft', [])).toBeNull();
  });
});

describe('NsProtoReader', () => {
  let root: string;
  let calls: string[];
  let packets: number;
  const runner: Runner = async (cmd, args) => {
    calls.push([cmd, ...args].join(' '));
    if (args.includes('nft')) {
      const doc = JSON.parse(fixture('proto/nft-ruleset.json'));
      for (const it of doc.nftables) {
        const c = it.rule?.expr?.find((e: Record<string, unknown>) => 'counter' in e);
        if (c && it.rule.handle === 4) c.counter.packets = packets;
      }
      return { code: 0, stdout: JSON.stringify(doc), stderr: '' };
    }
    return { code: 0, stdout: fixture('proto/netconf.json'), stderr: '' };
  };
  const ns: NsEntry = { name: 'r1', inode: 1, kind: 'named', pid: 77, via: null, sysDev: null };
  const drop = (reason: string) => [{ reason, location: 'nft_do_chain', cpu: 0, count: 3 }];

  beforeEach(() => {
    root = mkdtempSync(`${tmpdir()}/hwt-ag-proto-`);
    mkdirSync(`${root}/77/net/stat`, { recursive: true });
    // The holder's namespace link, as readNsText checks it on open (SPEC SEC1).
    mkdirSync(`${root}/77/ns`);
    symlinkSync('net:[1]', `${root}/77/ns/net`);
    writeFileSync(`${root}/77/net/arp`, fixture('proto/arp-unresolved.txt'));
    writeFileSync(`${root}/77/net/stat/nf_conntrack`, fixture('proto/nf_conntrack-empty.txt'));
    calls = [];
    packets = 10;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads the ruleset at start and when NETFILTER_DROP comes, never per sample; sends counter deltas', async () => {
    const r = new NsProtoReader(root, runner, () => {}, true);
    await r.prime([ns]);
    expect(calls.filter((c) => c.includes('nft'))).toHaveLength(1);
    const rpFilter = (name: string) => (name === 'r1' ? { lo: 2, all: 1 } : undefined);
    const quiet = await r.sample([ns], [], rpFilter);
    expect(calls.filter((c) => c.includes('nft'))).toHaveLength(1);
    expect(quiet.r1?.firewall?.find((x) => x.handle === 4)?.packets).toBe(0);
    expect(quiet.r1?.unresolved).toEqual([{ ip: '10.10.0.5', dev: 'qr-a1' }]);
    packets = 25;
    const s = await r.sample([ns], drop('NETFILTER_DROP'), rpFilter);
    expect(calls.filter((c) => c.includes('nft'))).toHaveLength(2);
    expect(s.r1?.firewall?.find((x) => x.handle === 4)).toMatchObject({
      packets: 15,
      verdict: 'drop',
      hook: 'input',
    });
    // Rules without a counter say so (null), they are not "0 packets".
    expect(s.r1?.firewall?.find((x) => x.handle === 5)?.packets).toBeNull();
    // rp_filter is the probe's (its netconf show): no process of the reader's own.
    expect(s.r1?.rpFilter).toEqual({ lo: 2, all: 1 });
    expect(calls.filter((c) => c.includes('netconf'))).toEqual([]);
  });

  it('COST1: no ruleset read on a timer: a quiet namespace is read once, a new one at first sight', async () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const r = new NsProtoReader(root, runner, () => {}, true);
      await r.prime([ns]);
      for (let i = 0; i < 10; i++) {
        vi.advanceTimersByTime(600_000);
        await r.sample([ns], []);
      }
      expect(calls.filter((c) => c.includes('nft'))).toHaveLength(1);
      const fresh: NsEntry = { ...ns, name: 'r2', inode: 2, pid: 78 };
      await r.sample([ns, fresh], []);
      await vi.waitFor(() => expect(calls.filter((c) => c.includes('nft'))).toHaveLength(2));
      expect(calls.at(-1)).toContain('/proc/78/ns/net');
    } finally {
      vi.useRealTimers();
    }
  });

  it('conntrack statistics are deltas between readings, the count a gauge; idle namespaces are read every 5th sample', async () => {
    const r = new NsProtoReader(root, runner, () => {}, false);
    await r.sample([ns], []);
    writeFileSync(`${root}/77/net/stat/nf_conntrack`, fixture('proto/nf_conntrack-full.txt'));
    // An idle namespace (no entries) off its slot is not read: the delta waits for the next read.
    expect((await r.sample([ns], [])).r1?.conntrack).toBeUndefined();
    const s = await r.sample(
      [ns],
      [{ reason: 'NETFILTER_DROP', location: 'nf_hook_slow', cpu: 0, count: 1 }],
    );
    const full = parseConntrackStat(fixture('proto/nf_conntrack-full.txt'))!;
    const empty = parseConntrackStat(fixture('proto/nf_conntrack-empty.txt'))!;
    expect(s.r1?.conntrack).toEqual({
      count: full.entries,
      drop: full.drop - empty.drop,
      earlyDrop: full.earlyDrop - empty.earlyDrop,
      insertFailed: full.insertFailed - empty.insertFailed,
      invalid: full.invalid - empty.invalid,
    });
    expect(calls).toEqual([]); // not live: no process at all
  });

  it.each([
    ['moved lately', 5, 0],
    ['stayed quiet', 30, 1000],
  ])(
    'conntrack of an idle namespace whose interfaces %s is read on its slot: tick %i',
    async (_, expected, quietFor) => {
      const r = new NsProtoReader(root, runner, () => {}, false);
      await r.sample([ns], [], undefined, () => quietFor); // tick 1: the first reading
      writeFileSync(`${root}/77/net/stat/nf_conntrack`, fixture('proto/nf_conntrack-full.txt'));
      let seenAt = -1;
      for (let tick = 2; tick <= 31 && seenAt < 0; tick++) {
        const s = await r.sample([ns], [], undefined, () => quietFor);
        if (s.r1?.conntrack) seenAt = tick;
      }
      expect(seenAt).toBe(expected);
    },
  );

  it.each([
    ['0.9.1+ fails', { code: 1, stdout: '', stderr: 'Error: JSON support not compiled-in\n' }],
    [
      '0.9.0 ignores -j',
      { code: 0, stdout: 'table inet filter {\n\tchain input {\n\t\tdrop\n\t}\n}\n', stderr: '' },
    ],
  ])('KRN9: an nft without JSON support (%s) is said once and not asked again', async (_, answer) => {
    const logs: string[] = [];
    const noJson: Runner = async (cmd, args) => {
      calls.push([cmd, ...args].join(' '));
      return args.includes('nft') ? answer : { code: 0, stdout: fixture('proto/netconf.json'), stderr: '' };
    };
    const r = new NsProtoReader(root, noJson, (_level, msg) => logs.push(msg), true);
    await r.prime([ns]);
    await r.sample([ns], drop('NETFILTER_DROP'));
    expect(calls.filter((c) => c.includes('nft'))).toHaveLength(1);
    expect(logs.filter((l) => l.includes('no JSON support'))).toHaveLength(1);
  });
});
