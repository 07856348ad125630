import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiagnosisSchema } from '@hopwatch/shared';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanScenario, seedScenario } from '../../../packages/shared/test/fixtures/scenarios.ts';
import { main } from '../src/main.ts';

/** Runs `hopwatch ARGS` in process and returns what it printed and its exit code. */
async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation((...a) => {
    stdout += `${a.join(' ')}\n`;
  });
  const err = vi.spyOn(console, 'error').mockImplementation((...a) => {
    stderr += `${a.join(' ')}\n`;
  });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    log.mockRestore();
    err.mockRestore();
  }
}

describe('hopwatch diagnose (saved captures)', () => {
  let dir = '';
  const file = (name: string) => join(dir, name);
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'hopwatch-diagnose-'));
    writeFileSync(file('seed.json'), JSON.stringify(seedScenario()));
    writeFileSync(file('clean.json'), JSON.stringify(cleanScenario()));
    writeFileSync(file('bad.json'), JSON.stringify({ topology: { host: 'x' }, samples: [] }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('CLI1: --json prints exactly the diagnosis object; a loss finding exits 1', async () => {
    const r = await run([
      'diagnose',
      '--input',
      file('seed.json'),
      '--from',
      'hwlab-up/wan0',
      '--to',
      'qg-a1',
      '--json',
    ]);
    expect(r.code).toBe(1);
    const d = DiagnosisSchema.strict().parse(JSON.parse(r.stdout));
    expect(d.path).toHaveLength(8);
    expect(d.findings[0]).toMatchObject({ rule: 'R01', hop: 'hwlab-qrouter-a1/qg-a1' });
  });

  it('CLI2: for people: the numbered path, a status word per hop, evidence, fix and verdict', async () => {
    const r = await run(['diagnose', '--input', file('seed.json'), '--from', 'wan0', '--to', 'qg-a1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Path hwlab-up/wan0 → hwlab-qrouter-a1/qg-a1 (8 hops)');
    expect(r.stdout).toMatch(/8 {2}hwlab-qrouter-a1\/qg-a1 +✗ loss/);
    expect(r.stdout).toContain('softnet dropped +37 on CPU 1');
    expect(r.stdout).toContain('run: sysctl -w net.core.netdev_max_backlog=10000');
    expect(r.stdout).toContain('Verdict: packets lost at hwlab-qrouter-a1/qg-a1 (R01: 37 packets).');
    expect(r.stdout).not.toContain('\x1b[');
  });

  it('SEC3: hostile namespace names reach the terminal escaped, never as escape sequences', async () => {
    const hostile = JSON.stringify(seedScenario()).replaceAll('hwlab-qrouter-a1', 'qr\\u001b[2J\\u202e');
    writeFileSync(file('hostile.json'), hostile);
    const r = await run(['diagnose', '--input', file('hostile.json'), '--from', 'wan0', '--to', 'qg-a1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('qr\\x1b[2J\\u202e/qg-a1');
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).not.toContain('\u202e');
  });

  it('CLI3: nothing lost exits 0', async () => {
    const r = await run(['diagnose', '--input', file('clean.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Verdict: no packet lost in 10.0 s.');
  });

  it('CLI4: an unknown interface exits 2 with the closest names', async () => {
    const r = await run([
      'diagnose',
      '--input',
      file('clean.json'),
      '--from',
      'wan0',
      '--to',
      'hwlab-qrouter-a1/qg-a2',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown interface "hwlab-qrouter-a1/qg-a2"');
    expect(r.stderr).toContain('closest: hwlab-qrouter-a1/qg-a1');
    expect(r.stdout).toBe('');
  });

  it('CLI5: usage errors exit 2: half a path, a bad number, a stray word, an invalid capture', async () => {
    expect((await run(['diagnose', '--input', file('clean.json'), '--from', 'wan0'])).code).toBe(2);
    expect((await run(['diagnose', '--seconds', '0'])).code).toBe(2);
    expect((await run(['diagnose', '--interval', 'fast'])).code).toBe(2);
    expect((await run(['diagnose', 'now'])).code).toBe(2);
    const bad = await run(['diagnose', '--input', file('bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('bad topology');
  });
});
