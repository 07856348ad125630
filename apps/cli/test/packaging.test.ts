import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const UNITS = ['hopwatch-agent.service', 'hopwatch-hub.service'];
const hasAnalyze = spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;

const dir = mkdtempSync(join(tmpdir(), 'hopwatch-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * `systemd-analyze verify` also checks that ExecStart's program exists, so the installed paths
 * (/usr/local/bin/hopwatch, /usr/local/lib/hopwatch/…) are pointed at this checkout's files; every
 * other line is verified as shipped.
 */
function localCopy(unit: string): string {
  const text = readFileSync(join(ROOT, 'packaging', unit), 'utf8')
    .replaceAll('/usr/local/bin/hopwatch ', `${join(ROOT, 'bin/hopwatch.mjs')} `)
    .replaceAll('/usr/local/lib/hopwatch/hopwatch-agent.mjs', join(ROOT, 'bin/hopwatch.mjs'))
    .replaceAll('/usr/bin/node ', `${process.execPath} `)
    .replaceAll('EnvironmentFile=/etc/', 'EnvironmentFile=-/etc/');
  const path = join(dir, unit);
  writeFileSync(path, text);
  return path;
}

describe('PKG2: the systemd units', () => {
  it.skipIf(!hasAnalyze)('pass systemd-analyze verify', () => {
    const paths = UNITS.map(localCopy);
    const out = execFileSync('systemd-analyze', ['verify', ...paths], { encoding: 'utf8', stdio: 'pipe' });
    expect(out.trim()).toBe('');
  });

  it('run the agent as its own user, hardened, with exactly the documented capabilities', () => {
    const agent = readFileSync(join(ROOT, 'packaging/hopwatch-agent.service'), 'utf8');
    expect(agent).toMatch(/^User=hopwatch$/m);
    expect(agent).toMatch(/^NoNewPrivileges=yes$/m);
    expect(agent).toMatch(/^ProtectSystem=strict$/m);
    expect(agent).toMatch(/^LoadCredential=agent-token:/m);
    expect(agent).toMatch(/--token-file \$\{CREDENTIALS_DIRECTORY\}\/agent-token/);
    const caps = (re: RegExp) => (re.exec(agent)?.[1] ?? '').split(/\s+/).sort();
    const ambient = caps(/^AmbientCapabilities=(.*)$/m);
    expect(ambient).toEqual(caps(/^CapabilityBoundingSet=(.*)$/m));
    const readme = readFileSync(join(ROOT, 'packaging/README.md'), 'utf8');
    for (const cap of ambient) expect(readme).toContain(cap);
  });

  it('give the hub no capabilities and no token on its command line', () => {
    const hub = readFileSync(join(ROOT, 'packaging/hopwatch-hub.service'), 'utf8');
    expect(hub).toMatch(/^CapabilityBoundingSet=$/m);
    expect(hub).toMatch(/^DynamicUser=yes$/m);
    expect(hub).not.toMatch(/--agent-token /);
  });
});

if (!hasAnalyze) console.warn('packaging.test: systemd-analyze not found; the verify test skips');
