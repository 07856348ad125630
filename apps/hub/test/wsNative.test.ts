import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

/**
 * WSNATIVE1 (issue 12): ws unmasks the agents' frames (every client frame is masked, RFC 6455)
 * with bufferutil's native code, not its JavaScript fallback, a byte loop that cost a replica
 * ~20 ms a second at 200 agents (bench:fleet's profile: ws's getData). bufferutil is an optional
 * dependency of ws, loaded in a try/catch: without it nothing fails, the hub is just slower, so
 * this test is what notices it gone (a lock file without it, a platform without a prebuild).
 */
const require = createRequire(import.meta.url);
const fromWs = createRequire(require.resolve('ws'));

describe('ws with bufferutil', () => {
  it.skipIf(process.platform !== 'linux' || process.arch !== 'x64')(
    "WSNATIVE1: the agents' frames are unmasked by bufferutil's native code",
    () => {
      const native = fromWs('bufferutil') as { unmask: (b: Buffer, m: Buffer) => void };
      expect(native.unmask.toString()).toContain('[native code]');
      const util = fromWs('./lib/buffer-util.js') as { unmask: (b: Buffer, m: Buffer) => void };
      expect(util.unmask.name).not.toBe('_unmask');
      // And it unmasks: XOR with the mask, byte by byte, whatever the length.
      const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
      const mask = Buffer.from([1, 2, 3, 4]);
      util.unmask(data, mask);
      expect([...data.subarray(0, 6)]).toEqual([0 ^ 1, 1 ^ 2, 2 ^ 3, 3 ^ 4, 4 ^ 1, 5 ^ 2]);
      expect(data[99]).toBe(99 ^ 4);
    },
  );
});
