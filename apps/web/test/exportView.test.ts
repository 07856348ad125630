import { describe, expect, it } from 'vitest';
import { findingsMarkdown } from '../src/export/markdown.ts';
import { isPng, pngSize, readText, withText } from '../src/export/pngText.ts';
import type { HopStat } from '../src/judge/evaluate.ts';
import { announcement } from '../src/panels/Announcer.tsx';
import { waterfallOf, waterfallSummary } from '../src/panels/waterfall.ts';
import { fmtNum } from '../src/ui/format.ts';
import { LAB_PATH, labTopology } from './fixtures/topo.ts';

const stat = (rx: number, tx: number, drops = 0, rules = '', notes = ''): HopStat => ({
  status: drops > 0 ? 'loss' : 'ok',
  rxPps: rx,
  txPps: tx,
  drops: drops * 5,
  dropsPerSec: drops,
  lossRatio: drops / rx,
  pathIndex: 1,
  rules,
  notes,
});

/** A real 2×1 PNG, built here (signature, IHDR, IDAT as a stored deflate block, IEND): no file, no zlib. */
function tinyPng(): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Uint8Array) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: number[]) => {
    const td = new Uint8Array([...Array.from(type, (ch) => ch.charCodeAt(0)), ...data]);
    const out = new Uint8Array(12 + data.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    out.set(td, 4);
    v.setUint32(8 + data.length, crc(td));
    return [...out];
  };
  const u32 = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  const raw = [0, 255, 0, 0, 0, 0, 255];
  let a = 1;
  let b = 0;
  for (const x of raw) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  const zlib = [
    0x78,
    0x01,
    0x01,
    raw.length,
    0,
    ~raw.length & 255,
    0xff,
    ...raw,
    ...u32(((b << 16) | a) >>> 0),
  ];
  return new Uint8Array([
    ...[137, 80, 78, 71, 13, 10, 26, 10],
    ...chunk('IHDR', [...u32(2), ...u32(1), 8, 2, 0, 0, 0]),
    ...chunk('IDAT', zlib),
    ...chunk('IEND', []),
  ]);
}

const ifaceById = new Map(labTopology().ifaces.map((i) => [i.id, i]));
const stats = new Map<string, HopStat>(LAB_PATH.map((id) => [id, stat(2000, 2000)] as [string, HopStat]));
stats.set(LAB_PATH[7]!, stat(1960, 0, 40, 'R01'));

describe('waterfall and export', () => {
  it('MAP10: the waterfall is the hop table: same stats, same formatting; it says where packets disappear', () => {
    const w = waterfallOf(LAB_PATH, stats, ifaceById);
    expect(w.steps.map((s) => s.id)).toEqual(LAB_PATH);
    for (const s of w.steps) {
      const st = stats.get(s.id)!;
      expect(fmtNum(s.inPps)).toBe(fmtNum(st.rxPps));
      expect(fmtNum(s.outPps)).toBe(fmtNum(st.txPps));
      expect(fmtNum(s.dropsPerSec)).toBe(fmtNum(st.dropsPerSec));
    }
    expect(w.lossAt?.index).toBe(8);
    expect(waterfallSummary(w)).toContain('packets disappear at hop 8, qg-a1: 40 per second lost (R01)');
  });

  it('MAP11: the PNG gets text chunks (path, link, time) that read back; it stays a valid PNG', () => {
    const png = tinyPng();
    const tagged = withText(png, { 'hopwatch:path': LAB_PATH.join(' '), 'hopwatch:url': 'http://x/?a=1' });
    expect(isPng(tagged)).toBe(true);
    expect(pngSize(tagged)).toEqual({ width: 2, height: 1 });
    expect(readText(tagged)).toEqual({
      'hopwatch:path': LAB_PATH.join(' '),
      'hopwatch:url': 'http://x/?a=1',
    });
    expect(() => withText(new Uint8Array([1, 2, 3]), {})).toThrow();
  });

  it('MAP12: findings as Markdown carry the rule, hop, fix, command and the path table', () => {
    const md = findingsMarkdown({
      host: 'lab',
      at: 'live at 2026-01-01T00:00:00.000Z',
      windowSeconds: 5,
      url: 'http://hub/?host=lab',
      findings: [
        {
          rule: 'R01',
          title: 'CPU backlog full',
          severity: 'loss',
          hop: LAB_PATH[7]!,
          reason: null,
          count: 200,
          evidence: ['softnet dropped +200'],
          fix: 'raise net.core.netdev_max_backlog',
          command: 'sysctl -w net.core.netdev_max_backlog=2000',
        },
      ],
      waterfall: waterfallOf(LAB_PATH, stats, ifaceById),
    });
    expect(md).toContain('**R01** (loss) CPU backlog full at `hwlab-qrouter-a1/qg-a1`');
    expect(md).toContain('sysctl -w net.core.netdev_max_backlog=2000');
    expect(md).toContain('| 8 | `hwlab-qrouter-a1/qg-a1` | 2.0k | 0 | 40 | R01 |');
  });

  it('MAP13: the screen-reader announcement names findings and the loss step, not the numbers of a tick', () => {
    const text = announcement([], LAB_PATH, LAB_PATH[7]!);
    expect(text).toContain('packets disappear at hop 8');
    expect(announcement([], LAB_PATH, null)).toContain('no packets lost');
  });
});
