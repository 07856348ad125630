import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { KallsymsScan, normalizeAddress, resolveAddresses } from '../src/parse/kallsyms.ts';
import {
  describeKfreeSkb,
  dropFilter,
  NO_REASON_DETAIL,
  parseTraceLine,
  renameLocations,
} from '../src/parse/tracefs.ts';
import { kernelDropReasonLines } from '../src/check.ts';
import { KernelSymbols } from '../src/tracing/symbols.ts';
import { DropTracer } from '../src/tracing/tracer.ts';
import { findTracefs } from '../src/tracing/tracefs.ts';
import { fixture, FIXTURES } from './support/fixtures.ts';

/** The first address of this machine's /proc/kallsyms; zeros (or nothing) when it hides them. */
function kallsymsHead(): string {
  try {
    return readFileSync('/proc/kallsyms', 'latin1').slice(0, 16);
  } catch {
    return '';
  }
}

/** skb:kfree_skb as each kernel operators run describes it (fixtures/kernels/README.md). */
const NO_REASON = ['4.18', '5.4', '5.14', '5.15'];

describe('kfree_skb across kernels', () => {
  it.each(NO_REASON)('KRN2: %s has no reason field: nothing to count, said so', (v) => {
    const shape = describeKfreeSkb(fixture(`kernels/kfree_skb-${v}.format`));
    expect(shape).toEqual({ hasReason: false, locationIsSymbol: false, reasons: new Map() });
  });

  it('KRN2: a 4.18 trace line (hashed addresses, no reason) is never taken for a drop', () => {
    const lines = fixture('kernels/trace_pipe-4.18.txt').split('\n').filter(Boolean);
    expect(lines.map((l) => parseTraceLine(l, new Map()))).toEqual([null, null]);
  });

  it('KRN3: upstream 5.17 and RHEL 9 name reasons from 0, print the location as an address', () => {
    const v517 = describeKfreeSkb(fixture('kernels/kfree_skb-5.17.format'));
    expect(v517.hasReason).toBe(true);
    expect(v517.locationIsSymbol).toBe(false);
    expect(v517.reasons.get(0)).toBe('NOT_SPECIFIED');
    expect(v517.reasons.get(11)).toBe('UNICAST_IN_L2_MULTICAST');
    const rhel9 = describeKfreeSkb(fixture('kernels/kfree_skb-rhel9-5.14.0.format'));
    expect(rhel9.hasReason).toBe(true);
    expect(rhel9.locationIsSymbol).toBe(false);
    expect(rhel9.reasons.get(1)).toBe('NO_SOCKET');
    expect(rhel9.reasons.get(24)).toBe('TCP_OFOMERGE');
    // Neither knows NOT_DROPPED_YET/CONSUMED: no kernel filter is needed (or possible).
    expect(dropFilter(rhel9.reasons)).toBe('');
  });

  it('KRN3: 6.18 prints the function itself (%pS)', () => {
    const shape = describeKfreeSkb(fixture('tracefs/kfree_skb.format'));
    expect(shape.hasReason).toBe(true);
    expect(shape.locationIsSymbol).toBe(true);
  });

  it('KRN3: RHEL 9 lines give reason, CPU and the address as the location', () => {
    const reasons = describeKfreeSkb(fixture('kernels/kfree_skb-rhel9-5.14.0.format')).reasons;
    const lines = fixture('kernels/trace_pipe-rhel9.txt').split('\n').filter(Boolean);
    const parsed = lines.map((l) => parseTraceLine(l, reasons));
    expect(parsed[0]).toEqual({
      type: 'drop',
      cpu: 1,
      location: 'ffffffff81ea7d83',
      reason: 'NOT_SPECIFIED',
    });
    expect(parsed[5]).toEqual({
      type: 'drop',
      cpu: 1,
      location: 'ffffffff81f7842e',
      reason: 'NETFILTER_DROP',
    });
    expect(parsed.every((p) => p?.type === 'drop')).toBe(true);
  });
});

describe('drop locations printed as addresses', () => {
  const kallsyms = fixture('kernels/kallsyms-excerpt.txt');
  const dir = mkdtempSync(`${tmpdir()}/hw-kallsyms-`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('KRN3: an address is named by the text symbol at or below it', () => {
    const want = ['ffffffff81ea7d83', 'ffffffff8209ed82', 'ffffffff81f7842e', '00000000a1b2c3d4'];
    const names = resolveAddresses(kallsyms, want);
    expect(names).toEqual(
      new Map([
        ['ffffffff81ea7d83', 'enqueue_to_backlog'],
        ['ffffffff8209ed82', '__udp4_lib_rcv'],
        ['ffffffff81f7842e', 'nf_hook_slow'],
      ]),
    );
  });

  it('KRN3: module symbols count, data symbols and far-away symbols do not, zeros never match', () => {
    const withModule = `${kallsyms}ffffffffc0a01000 t nft_do_chain\t[nf_tables]\n`;
    const names = resolveAddresses(withModule, ['ffffffffc0a01234', 'ffffffff82400010', 'ffffffffc1000000']);
    expect(names).toEqual(new Map([['ffffffffc0a01234', 'nft_do_chain']]));
    // kptr_restrict: every address reads 0 without CAP_SYSLOG.
    const zeroed = kallsyms.replace(/^[0-9a-f]{16}/gm, '0000000000000000');
    expect(resolveAddresses(zeroed, ['ffffffff81ea7d83']).size).toBe(0);
    expect(normalizeAddress('0xFFFFFFFF81EA7D83')).toBe('ffffffff81ea7d83');
    expect(normalizeAddress('a1b2c3d4')).toBe('00000000a1b2c3d4');
    expect(normalizeAddress('enqueue_to_backlog')).toBeNull();
  });

  it('KRN3: lines cut across read chunks are joined (7-byte chunks give the same names)', () => {
    const want = ['ffffffff81ea7d83', 'ffffffff8209ed82', 'ffffffff81f7842e'];
    const scan = new KallsymsScan(want);
    const bytes = Buffer.from(kallsyms, 'latin1');
    for (let i = 0; i < bytes.length; i += 7) scan.feed(bytes.subarray(i, i + 7));
    expect(scan.result()).toEqual(resolveAddresses(kallsyms, want));
    // No newline at the end of the file: the last line still counts.
    expect(resolveAddresses('ffffffff81ea7c30 t enqueue_to_backlog', ['ffffffff81ea7d83']).size).toBe(1);
  });

  it.skipIf(!/^[0-9a-f]*[1-9a-f]/.test(kallsymsHead()))(
    'KRN3: on this machine, an address inside a known function of the real /proc/kallsyms is named',
    () => {
      const line = readFileSync('/proc/kallsyms', 'latin1')
        .split('\n')
        .find((l) => / [tT] (enqueue_to_backlog|kfree_skb_reason|sk_skb_reason_drop)$/.test(l))!;
      const address = (BigInt(`0x${line.slice(0, 16)}`) + 0x20n).toString(16);
      expect(new KernelSymbols().resolve([address]).get(address)).toBe(line.split(' ')[2]);
    },
  );

  it('KRN3: counts move to their function; two call sites of one function become one count', () => {
    writeFileSync(`${dir}/kallsyms`, kallsyms);
    const symbols = new KernelSymbols(`${dir}/kallsyms`);
    const drops = [
      { reason: 'NO_SOCKET', location: 'ffffffff8209ed82', cpu: 0, count: 3 },
      { reason: 'NO_SOCKET', location: 'ffffffff8209eba0', cpu: 0, count: 2 },
      { reason: 'NOT_SPECIFIED', location: '00000000a1b2c3d4', cpu: 0, count: 1 },
    ];
    const names = symbols.resolve(drops.map((d) => d.location));
    expect(renameLocations(drops, names)).toEqual([
      { reason: 'NO_SOCKET', location: '__udp4_lib_rcv', cpu: 0, count: 5 },
      { reason: 'NOT_SPECIFIED', location: '00000000a1b2c3d4', cpu: 0, count: 1 },
    ]);
    expect(symbols.unresolvable).toBe(false);
    // Looked up once: a second drain with the same addresses does not scan again.
    rmSync(`${dir}/kallsyms`);
    expect(symbols.resolve(['ffffffff8209ed82']).get('ffffffff8209ed82')).toBe('__udp4_lib_rcv');
  });

  it('KRN3: a kallsyms of zeros leaves addresses as printed and says so', () => {
    writeFileSync(`${dir}/kallsyms`, kallsyms.replace(/^[0-9a-f]{16}/gm, '0000000000000000'));
    const symbols = new KernelSymbols(`${dir}/kallsyms`);
    expect(symbols.resolve(['ffffffff81ea7d83']).size).toBe(0);
    rmSync(`${dir}/kallsyms`);
    expect(symbols.unresolvable).toBe(true);
    expect(new KernelSymbols(`${FIXTURES}/does-not-exist`).resolve(['ffffffff81ea7d83']).size).toBe(0);
  });
});

describe('tracefs where old kernels put it', () => {
  const root = mkdtempSync(`${tmpdir()}/hw-sys-`);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('KRN4: debugfs-only tracefs (RHEL 8) is found; a 4.18 kfree_skb makes tracing unavailable, in words', async () => {
    const tracing = `${root}/kernel/debug/tracing`;
    mkdirSync(`${tracing}/instances`, { recursive: true });
    mkdirSync(`${tracing}/events/skb/kfree_skb`, { recursive: true });
    writeFileSync(`${tracing}/events/skb/kfree_skb/format`, fixture('kernels/kfree_skb-4.18.format'));
    expect(findTracefs(root)).toBe(tracing);
    const logs: string[] = [];
    const tracer = await DropTracer.start(root, (_level, msg) => logs.push(msg));
    const { drops, tracing: state } = tracer.drain();
    tracer.close();
    expect(drops).toEqual([]);
    expect(state.state).toBe('unavailable');
    if (process.getuid?.() === 0) {
      expect(state.detail).toBe(NO_REASON_DETAIL);
      expect(logs.join('\n')).toContain('no drop reason field');
    }
    // Nothing was armed: no instance was made.
    expect(readdirSync(`${tracing}/instances`)).toEqual([]);
  });
});

describe('--check on old kernels', () => {
  it('KRN2/KRN3: says a kernel without reasons has none, and whether kallsyms can name addresses', () => {
    const old = kernelDropReasonLines(fixture('kernels/kfree_skb-5.4.format'), null);
    expect(old).toEqual([{ ok: false, what: expect.stringContaining('reason'), missing: NO_REASON_DETAIL }]);
    const rhel9 = fixture('kernels/kfree_skb-rhel9-5.14.0.format');
    expect(kernelDropReasonLines(rhel9, 'ffffffff81000000 T _stext\n')).toMatchObject([{ ok: true }]);
    expect(kernelDropReasonLines(rhel9, '0000000000000000 T _stext\n')).toMatchObject([
      { ok: false, missing: expect.stringContaining('CAP_SYSLOG') },
    ]);
    expect(kernelDropReasonLines(fixture('tracefs/kfree_skb.format'), null)).toEqual([]);
  });
});
