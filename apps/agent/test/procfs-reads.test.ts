import * as fs from 'node:fs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { OpenFiles, seqWholeBelow } from '../src/util/procfs.ts';

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, readSync: vi.fn(real.readSync) };
});

/** How many reads one OpenFiles.readBytes of `path` takes. */
function reads(files: OpenFiles, path: string, wholeBelow?: number): number {
  const spy = vi.mocked(fs.readSync);
  spy.mockClear();
  files.readBytes(path, 1 << 20, undefined, undefined, wholeBelow);
  return spy.mock.calls.length;
}

describe('kernel file reads', () => {
  const dir = mkdtempSync(`${tmpdir()}/hwt-ag-procfs-`);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('COL8: a net/dev smaller than a seq_file page can stop short is read in one pread, a larger one to the end', () => {
    const files = new OpenFiles();
    const whole = seqWholeBelow(360);
    writeFileSync(`${dir}/small`, 'x'.repeat(1500));
    writeFileSync(`${dir}/large`, 'x'.repeat(whole + 10));
    expect(reads(files, `${dir}/small`)).toBe(2); // by default: read until a read gives 0
    expect(reads(files, `${dir}/small`, whole)).toBe(1);
    expect(files.readBytes(`${dir}/small`, 1 << 20, undefined, undefined, whole)).toHaveLength(1500);
    expect(reads(files, `${dir}/large`, whole)).toBe(2);
    files.closeAll();
  });
});
