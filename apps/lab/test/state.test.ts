import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyState, parseState, readState, serializeState, writeState } from '../src/state.ts';
import { readSysctl, restoreSysctls, setGlobalSysctl, sysctlPath } from '../src/sysctl.ts';

describe('lab state file', () => {
  let dir = '';
  let statePath = '';
  let root = '';
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hwlab-state-'));
    statePath = join(dir, 'run', 'state.json');
    root = join(dir, 'proc-sys');
    await mkdir(join(root, 'net', 'core'), { recursive: true });
    await writeFile(join(root, 'net', 'core', 'netdev_max_backlog'), '1000\n');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips through serialize and parse', () => {
    const s = {
      version: 1 as const,
      sysctls: { 'net.core.netdev_max_backlog': '1000' },
      fault: {
        kind: 'backlog' as const,
        hop: 'hwlab-qrouter-a1/qg-a1',
        detail: 'x',
        since: '2026-01-01T00:00:00Z',
      },
    };
    expect(parseState(serializeState(s))).toEqual({ ok: true, state: s });
  });

  it('refuses a file it cannot trust instead of treating it as "nothing changed"', () => {
    expect(parseState('{').ok).toBe(false);
    expect(parseState('{"version":2,"sysctls":{},"fault":null}').ok).toBe(false);
    expect(parseState('{"version":1,"sysctls":{"a.b":1000},"fault":null}').ok).toBe(false);
    expect(
      parseState('{"version":1,"sysctls":{},"fault":{"kind":"fire","hop":"x","detail":"","since":""}}').ok,
    ).toBe(false);
  });

  it('a missing file is an empty state; a corrupt one is an error naming the file', async () => {
    expect(await readState(statePath)).toEqual(emptyState());
    await writeState(emptyState(), statePath);
    await writeFile(statePath, 'garbage');
    await expect(readState(statePath)).rejects.toThrow(statePath);
  });

  it('records the original before the first change, and never overwrites it', async () => {
    await setGlobalSysctl('net.core.netdev_max_backlog', '1', statePath, root);
    expect((await readState(statePath)).sysctls).toEqual({ 'net.core.netdev_max_backlog': '1000' });
    expect(await readSysctl('net.core.netdev_max_backlog', root)).toBe('1');
    // A second fault changes it again: the original stays 1000, not the lab's own 1.
    await setGlobalSysctl('net.core.netdev_max_backlog', '4', statePath, root);
    expect((await readState(statePath)).sysctls).toEqual({ 'net.core.netdev_max_backlog': '1000' });
  });

  it('restores every remembered sysctl and forgets it', async () => {
    await setGlobalSysctl('net.core.netdev_max_backlog', '1', statePath, root);
    expect(await restoreSysctls(statePath, root)).toEqual({ 'net.core.netdev_max_backlog': '1000' });
    expect(await readSysctl('net.core.netdev_max_backlog', root)).toBe('1000');
    expect((await readState(statePath)).sysctls).toEqual({});
    expect(await restoreSysctls(statePath, root)).toEqual({});
  });

  it('rejects names that are not sysctl names', () => {
    expect(() => sysctlPath('../../etc/passwd')).toThrow();
    expect(sysctlPath('net.core.netdev_max_backlog')).toBe('/proc/sys/net/core/netdev_max_backlog');
  });
});
