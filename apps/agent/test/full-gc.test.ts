import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { fullGc } from '../src/util/full-gc.ts';

describe('full GC on demand (MEM1)', () => {
  it('MEM1: fullGc collects an unreachable object without --expose-gc on the command line', async () => {
    // A WeakRef's target is kept alive until the job that made it ends: make it, then yield.
    let ref: WeakRef<object> | null = null;
    (() => {
      ref = new WeakRef({ payload: new Array(1000).fill(0) });
    })();
    await tick();
    expect(fullGc()).toBe(true);
    expect((ref as WeakRef<object> | null)?.deref()).toBeUndefined();
  });

  it('MEM1: a second call collects again (the function is found once, kept)', async () => {
    let ref: WeakRef<object> | null = null;
    (() => {
      ref = new WeakRef({});
    })();
    await tick();
    expect(fullGc()).toBe(true);
    expect((ref as WeakRef<object> | null)?.deref()).toBeUndefined();
  });
});
