import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { setGlobalSysctl } from '../src/sysctl.ts';

// The kernel refusing (or the process dying at) the sysctl write is simulated by a writeFile that
// fails for sysctl paths only; the state file must already hold the original by then.
const failing = vi.hoisted(() => ({ on: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    writeFile: async (...args: Parameters<typeof real.writeFile>) => {
      if (failing.on && String(args[0]).includes('proc-sys')) throw new Error('EIO (simulated crash)');
      return real.writeFile(...args);
    },
  };
});

describe('global sysctl change', () => {
  const dirP = mkdtemp(join(tmpdir(), 'hwlab-order-'));
  afterAll(async () => rm(await dirP, { recursive: true, force: true }));

  it('writes the original to the state file BEFORE changing the sysctl', async () => {
    const dir = await dirP;
    const root = join(dir, 'proc-sys');
    await mkdir(join(root, 'net', 'core'), { recursive: true });
    await writeFile(join(root, 'net', 'core', 'netdev_max_backlog'), '1000\n');
    const statePath = join(dir, 'state.json');
    failing.on = true;
    await expect(setGlobalSysctl('net.core.netdev_max_backlog', '1', statePath, root)).rejects.toThrow(
      /simulated/,
    );
    expect(JSON.parse(await readFile(statePath, 'utf8')).sysctls).toEqual({
      'net.core.netdev_max_backlog': '1000',
    });
  });
});
