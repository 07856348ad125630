import { describe, expect, it } from 'vitest';
import { nsCommand } from '../src/judge/format.ts';
import { printable, shellWord } from '../src/text.ts';

describe('SEC3: names on terminals and in suggested commands', () => {
  it('SEC3: printable escapes C0/C1 controls, DEL and bidi overrides, and leaves the rest', () => {
    expect(printable('e\x1b[2Jf')).toBe('e\\x1b[2Jf');
    expect(printable('a\u009bb\x7f')).toBe('a\\x9bb\\x7f');
    expect(printable('x\u202eevil')).toBe('x\\u202eevil');
    expect(printable('a\tb\nc')).toBe('a\\x09b\\x0ac');
    expect(printable('qrouter-1/qr-ab é ✓')).toBe('qrouter-1/qr-ab é ✓');
    expect(printable(printable('e\x1b'))).toBe('e\\x1b');
  });

  it('SEC3: shellWord keeps plain names bare and quotes everything a shell would act on', () => {
    expect(shellWord('qr-ab12')).toBe('qr-ab12');
    expect(shellWord('$(reboot)')).toBe("'$(reboot)'");
    expect(shellWord("a'b")).toBe("'a'\\''b'");
    expect(shellWord('a b;c')).toBe("'a b;c'");
    expect(shellWord('')).toBe("''");
  });

  it('SEC3: suggested commands quote the namespace name', () => {
    expect(nsCommand('ip', 'qrouter-1', 'link show')).toBe('ip -n qrouter-1 link show');
    expect(nsCommand('tc', '$(id)', '-s qdisc show')).toBe("tc -n '$(id)' -s qdisc show");
    expect(nsCommand('sysctl', 'a;b', '-w x=1')).toBe("ip netns exec 'a;b' sysctl -w x=1");
  });
});
