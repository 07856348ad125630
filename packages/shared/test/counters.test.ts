import { describe, expect, it } from 'vitest';
import { countersOf } from '../src/judge/counters.ts';
import { IFACE_COUNTERS, type Sample } from '../src/index.ts';

describe('countersOf', () => {
  it("PROTO4: names a row's columns in IFACE_COUNTERS order (the literal in counters.ts follows it)", () => {
    const row = IFACE_COUNTERS.map((_, k) => k + 1);
    const c = countersOf({ ifaces: { eth0: row } } as unknown as Sample, 'eth0');
    expect(Object.keys(c)).toEqual([...IFACE_COUNTERS]);
    IFACE_COUNTERS.forEach((name, k) => {
      expect(c[name]).toBe(k + 1);
    });
    // Absent interface, or a short row: zeros.
    expect(Object.values(countersOf({ ifaces: {} } as unknown as Sample, 'eth0'))).toEqual(
      IFACE_COUNTERS.map(() => 0),
    );
    expect(countersOf({ ifaces: { eth0: [5] } } as unknown as Sample, 'eth0').txCompressed).toBe(0);
  });
});
