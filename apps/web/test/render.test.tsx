// @vitest-environment jsdom
import { act, render } from '@testing-library/react';
import type { NodeProps } from '@xyflow/react';
import { ReactFlowProvider, useStoreApi } from '@xyflow/react';
import { Profiler, useEffect } from 'react';
import { describe, expect, it } from 'vitest';
import type { HopStat } from '../src/judge/evaluate.ts';
import type { IfaceFlowNode } from '../src/map/flowElements.ts';
import { IfaceNode } from '../src/map/IfaceNode.tsx';
import { appStore } from '../src/store/index.ts';
import { hopStat } from './fixtures/stats.ts';

const IDS = ['a', 'b', 'c'];

function stat(rxPps: number, status: HopStat['status'] = 'ok', pathIndex: number | null = null): HopStat {
  return hopStat({ status, rxPps, txPps: rxPps, pathIndex });
}

function props(id: string): NodeProps<IfaceFlowNode> {
  return { id, data: { name: id, netns: 'ns', kind: 'veth' }, type: 'iface' } as NodeProps<IfaceFlowNode>;
}

/** Sets React Flow's zoom (as a pinch would) before the nodes render. */
function Zoom({ zoom }: { zoom: number }) {
  const api = useStoreApi();
  useEffect(() => api.setState({ transform: [0, 0, zoom] }), [api, zoom]);
  return null;
}

describe('IfaceNode subscriptions', () => {
  it('zoomed out, a tick that moves only numbers re-renders no hop; a status change does', () => {
    appStore.setState({ statsById: new Map(IDS.map((id) => [id, stat(10)])) });
    const renders = new Map<string, number>();
    render(
      <ReactFlowProvider>
        <Zoom zoom={0.2} />
        {IDS.map((id) => (
          <Profiler key={id} id={id} onRender={() => renders.set(id, (renders.get(id) ?? 0) + 1)}>
            <IfaceNode {...props(id)} />
          </Profiler>
        ))}
      </ReactFlowProvider>,
    );
    renders.clear();
    act(() => appStore.setState({ statsById: new Map(IDS.map((id) => [id, stat(20 + IDS.indexOf(id))])) }));
    expect([...renders.keys()]).toEqual([]);
    act(() =>
      appStore.setState({ statsById: new Map(IDS.map((id) => [id, stat(30, id === 'c' ? 'loss' : 'ok')])) }),
    );
    expect([...renders.keys()]).toEqual(['c']);
  });

  it('one counter tick re-renders only the hop whose numbers changed', () => {
    appStore.setState({ statsById: new Map(IDS.map((id) => [id, stat(10)])) });
    const renders = new Map<string, number>();
    const count = (id: string) => renders.set(id, (renders.get(id) ?? 0) + 1);
    const { container } = render(
      <ReactFlowProvider>
        {IDS.map((id) => (
          <Profiler key={id} id={id} onRender={() => count(id)}>
            <IfaceNode {...props(id)} />
          </Profiler>
        ))}
      </ReactFlowProvider>,
    );
    const before = new Map(renders);

    // A tick: a new Map in which a and c keep their objects (reuseStats), b changed.
    act(() => {
      const prev = appStore.getState().statsById;
      appStore.setState({
        statsById: new Map([
          ['a', prev.get('a')!],
          ['b', stat(11, 'loss', 2)],
          ['c', prev.get('c')!],
        ]),
      });
    });
    expect((renders.get('a') ?? 0) - (before.get('a') ?? 0)).toBe(0);
    expect((renders.get('b') ?? 0) - (before.get('b') ?? 0)).toBe(1);
    expect((renders.get('c') ?? 0) - (before.get('c') ?? 0)).toBe(0);

    const b = container.querySelector('[data-hop="b"]')!;
    expect(b.getAttribute('data-status')).toBe('loss');
    expect(b.getAttribute('data-path-index')).toBe('2');
    expect(b.textContent).toContain('loss');
    expect(container.querySelector('[data-hop="a"]')!.hasAttribute('data-path-index')).toBe(false);
  });

  it('selecting a hop re-renders that hop (and the one unselected), not the others', () => {
    appStore.setState({ statsById: new Map(IDS.map((id) => [id, stat(10)])), sel: 'a' });
    const renders = new Map<string, number>();
    render(
      <ReactFlowProvider>
        {IDS.map((id) => (
          <Profiler key={id} id={id} onRender={() => renders.set(id, (renders.get(id) ?? 0) + 1)}>
            <IfaceNode {...props(id)} />
          </Profiler>
        ))}
      </ReactFlowProvider>,
    );
    renders.clear();
    act(() => appStore.getState().select('b'));
    expect([...renders.keys()].sort()).toEqual(['a', 'b']);
  });
});
