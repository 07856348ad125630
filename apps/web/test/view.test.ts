import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW, decodeView, encodeView, type View } from '../src/url/view.ts';

const FULL: View = {
  host: 'net-node-3',
  from: 'hwlab-up/wan0',
  to: 'hwlab-qrouter-a1/qg-a1',
  sel: 'hwlab-qrouter-a1/qg-a1',
  t: '2026-05-01T12:04:05.000Z',
  speed: 4,
  cam: { x: -120, y: 35, zoom: 0.75 },
};

describe('URL view codec', () => {
  it('round-trips a full view', () => {
    expect(decodeView(encodeView(FULL))).toEqual(FULL);
  });

  it('round-trips the live view with no camera', () => {
    const live: View = { ...DEFAULT_VIEW, host: 'h1', sel: 'eth0' };
    expect(decodeView(encodeView(live))).toEqual(live);
  });

  it('round-trips ids with characters that need escaping', () => {
    const v: View = { ...DEFAULT_VIEW, host: 'a b&c', from: 'ns+x/eth 0', to: 'ns#1/v=2', sel: null };
    expect(decodeView(encodeView(v))).toEqual(v);
  });

  it('MAP15: wf=1 (the waterfall open) round-trips after sel; closed, it is not written', () => {
    const v: View = { ...DEFAULT_VIEW, host: 'h', from: 'a/x', to: 'b/y', wf: true };
    expect(encodeView(v)).toBe('?host=h&from=a/x&to=b/y&wf=1&t=live');
    expect(decodeView(encodeView(v))).toEqual(v);
    expect(encodeView({ ...v, wf: false })).toBe('?host=h&from=a/x&to=b/y&t=live');
    expect(decodeView('?host=h&wf=0').wf).toBeUndefined();
  });

  it('keeps / and : readable in links', () => {
    expect(encodeView({ ...DEFAULT_VIEW, host: 'h', from: 'hwlab-up/wan0' })).toBe(
      '?host=h&from=hwlab-up/wan0&t=live',
    );
  });

  it('writes keys in a fixed order and omits defaults', () => {
    expect(encodeView(DEFAULT_VIEW)).toBe('');
    expect(encodeView(FULL)).toBe(
      '?host=net-node-3&from=hwlab-up/wan0&to=hwlab-qrouter-a1/qg-a1&sel=hwlab-qrouter-a1/qg-a1' +
        '&t=2026-05-01T12:04:05.000Z&speed=4&cam=-120,35,0.75',
    );
  });

  it('falls back to defaults on malformed parameters', () => {
    const v = decodeView('?host=&t=yesterday&speed=-3&cam=1,2');
    expect(v).toEqual(DEFAULT_VIEW);
    expect(decodeView('?speed=1000').speed).toBe(64);
    expect(decodeView('?cam=10,20,0').cam).toBeNull();
    expect(decodeView('?cam=10,20,99')).toMatchObject({ cam: { x: 10, y: 20, zoom: 4 } });
  });

  it('normalises the time to ISO and accepts t=live', () => {
    expect(decodeView('t=2026-05-01T14:04:05%2B02:00').t).toBe('2026-05-01T12:04:05.000Z');
    expect(decodeView('?t=live').t).toBe('live');
  });

  it('rounds the camera for the URL', () => {
    const v = decodeView(encodeView({ ...DEFAULT_VIEW, cam: { x: 1.6, y: -2.4, zoom: 0.123456 } }));
    expect(v.cam).toEqual({ x: 2, y: -2, zoom: 0.12 });
  });
});
