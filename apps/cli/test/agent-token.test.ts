import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../src/command.ts';
import { agentToken } from '../src/commands/agent-token.ts';

describe('SEC4: the agent token comes from a file or the environment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hwt-cli-token-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string, mode = 0o600) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    chmodSync(p, mode);
    return p;
  };

  it('SEC4: --token-file: its first line, trimmed; a 0600 file raises no warning', () => {
    const warns: string[] = [];
    expect(agentToken(undefined, file('t', 's3cret\n'), 'env', (m) => warns.push(m))).toBe('s3cret');
    expect(warns).toEqual([]);
  });

  it('SEC4: a token file others can read is used, with a warning', () => {
    const warns: string[] = [];
    expect(agentToken(undefined, file('t644', 'tok\n', 0o644), undefined, (m) => warns.push(m))).toBe('tok');
    expect(warns.join()).toMatch(/can be read by other users \(mode 644\)/);
  });

  it('SEC4: an empty, missing, oversized or non-regular token file is a usage error', () => {
    expect(() => agentToken(undefined, file('empty', '\n'), undefined)).toThrow(UsageError);
    expect(() => agentToken(undefined, join(dir, 'nope'), undefined)).toThrow(/cannot read --token-file/);
    expect(() => agentToken(undefined, file('big', 'x'.repeat(5000)), undefined)).toThrow(/larger than/);
    expect(() => agentToken(undefined, dir, undefined)).toThrow(/not a regular file/);
    expect(() => agentToken('a', file('t2', 'b'), undefined)).toThrow(/not both/);
  });

  it('SEC4: HOPWATCH_TOKEN when no flag; --token still works but warns that argv is public', () => {
    const warns: string[] = [];
    expect(agentToken(undefined, undefined, 'from-env', (m) => warns.push(m))).toBe('from-env');
    expect(agentToken(undefined, undefined, '', (m) => warns.push(m))).toBeNull();
    expect(warns).toEqual([]);
    expect(agentToken('argv', undefined, 'from-env', (m) => warns.push(m))).toBe('argv');
    expect(warns.join()).toMatch(/visible to every local user/);
  });
});
