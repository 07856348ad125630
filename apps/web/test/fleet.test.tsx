// @vitest-environment jsdom
import type { HostSummary } from '@hopwatch/shared';
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_FLEET_FILTER, fleetRows } from '../src/fleet/filter.ts';
import { FleetOverview } from '../src/fleet/FleetOverview.tsx';
import { visibleRange } from '../src/fleet/virtual.ts';
import { appStore } from '../src/store/index.ts';
import { DEFAULT_VIEW, decodeView, encodeView } from '../src/url/view.ts';

const NOW = Date.now();

function host(name: string, over: Partial<HostSummary> = {}): HostSummary {
  return {
    host: name,
    status: 'online',
    lastSeen: NOW - 1000,
    agentVersion: '0.1.0',
    ifaceCount: 10,
    lossHops: 0,
    worst: 'ok',
    worstHop: null,
    rule: null,
    ...over,
  };
}

const FLEET: HostSummary[] = [
  host('hv-ok'),
  host('hv-loss', { worst: 'loss', lossHops: 1, worstHop: 'hwlab-qrouter-a1/qg-a1', rule: 'R01' }),
  host('hv-gone', { status: 'lost', lastSeen: NOW - 600_000 }),
  host('hv-warn', { worst: 'warn', worstHop: 'eno1', rule: 'R09' }),
  host('hv-slow', { status: 'lagging' }),
];

afterEach(() => {
  cleanup();
  appStore.setState({ host: null, hosts: null, fleet: DEFAULT_FLEET_FILTER });
});

describe('fleet overview: which hosts, in which order', () => {
  it('FLT1: worst first — losing hops, then a vanished agent, warnings and lagging agents, then the rest', () => {
    expect(fleetRows(FLEET, DEFAULT_FLEET_FILTER).map((h) => h.host)).toEqual([
      'hv-loss',
      'hv-gone',
      'hv-slow',
      'hv-warn',
      'hv-ok',
    ]);
  });

  it('FLT2: search matches host, worst hop and rule; status, agent and rule filters narrow it', () => {
    const rows = (f: Partial<typeof DEFAULT_FLEET_FILTER>) =>
      fleetRows(FLEET, { ...DEFAULT_FLEET_FILTER, ...f }).map((h) => h.host);
    expect(rows({ q: 'qrouter' })).toEqual(['hv-loss']);
    expect(rows({ q: 'r09' })).toEqual(['hv-warn']);
    expect(rows({ agent: ['lost', 'lagging'] })).toEqual(['hv-gone', 'hv-slow']);
    expect(rows({ status: ['loss', 'warn'] })).toEqual(['hv-loss', 'hv-warn']);
    expect(rows({ rule: 'R01' })).toEqual(['hv-loss']);
  });

  it('FLT3: the filter round-trips in the URL, only on the overview; junk is dropped', () => {
    const fleet = { q: 'hv 1', status: ['loss' as const], agent: ['lost' as const], rule: 'R01' };
    const url = encodeView({ ...DEFAULT_VIEW, fleet });
    expect(url).toBe('?q=hv%201&status=loss&agent=lost&rule=R01');
    expect(decodeView(url).fleet).toEqual(fleet);
    expect(encodeView({ ...DEFAULT_VIEW, host: 'h', fleet })).toBe('?host=h&t=live');
    expect(decodeView('?agent=bogus&rule=DROP%20TABLE').fleet).toBeUndefined();
    expect(decodeView('?host=h')).not.toHaveProperty('fleet');
  });

  it('FLT4: virtualised rows: only the viewport and a margin, at any scroll position', () => {
    expect(visibleRange(0, 600, 30, 1000, 8)).toEqual({ start: 0, end: 29 });
    expect(visibleRange(15_000, 600, 30, 1000, 8)).toEqual({ start: 492, end: 529 });
    expect(visibleRange(1e9, 600, 30, 1000, 8)).toEqual({ start: 991, end: 1000 });
    expect(visibleRange(0, 600, 30, 0)).toEqual({ start: 0, end: 0 });
  });
});

describe('fleet overview: the screen', () => {
  it('FLT5: 1000 hosts render a screenful of rows, worst first; a vanished agent says so; one click opens the map', () => {
    const many = Array.from({ length: 1000 }, (_, i) => host(`hv-${String(i).padStart(4, '0')}`));
    many[700] = host('hv-0700', { status: 'lost' });
    act(() => appStore.setState({ host: null, hosts: many }));
    render(<FleetOverview />);
    const rows = screen.getAllByTestId('fleet-row');
    expect(rows.length).toBeLessThan(60);
    expect(rows[0]!.dataset.host).toBe('hv-0700');
    expect(rows[0]!.dataset.agent).toBe('lost');
    expect(rows[0]!.textContent).toContain('agent lost');
    expect(screen.getByTestId('fleet-count').textContent).toBe('1000 of 1000 hosts, worst first');
    fireEvent.click(rows[1]!, { button: 0 });
    expect(appStore.getState().host).toBe(rows[1]!.dataset.host);
  });

  it('FLT6: typing in the search and pressing a filter narrows the list and goes into the store (and so the URL)', () => {
    act(() => appStore.setState({ host: null, hosts: FLEET }));
    render(<FleetOverview />);
    fireEvent.change(screen.getByTestId('fleet-search'), { target: { value: 'hv-' } });
    fireEvent.click(screen.getByTestId('fleet-agent-lost'));
    expect(appStore.getState().fleet).toMatchObject({ q: 'hv-', agent: ['lost'] });
    expect(screen.getAllByTestId('fleet-row').map((r) => r.dataset.host)).toEqual(['hv-gone']);
    fireEvent.change(screen.getByTestId('fleet-rule'), { target: { value: '' } });
    fireEvent.click(screen.getByTestId('fleet-agent-lost'));
    expect(screen.getAllByTestId('fleet-row')).toHaveLength(5);
  });
});
