// @vitest-environment jsdom
import { SampleSchema, type Topology, TopologySchema } from '@hopwatch/shared';
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import firewallEth0 from '../../../packages/shared/test/fixtures/real/lab-firewall-eth0.json' with {
  type: 'json',
};
import { markdownOf, pictureOf } from '../src/export/exportView.ts';
import { createJudgeEngine, type Judged } from '../src/judge/engine.ts';
import { packStats, unpackStats } from '../src/judge/pack.ts';
import { FindingsPanel } from '../src/panels/FindingsPanel.tsx';
import { HopDetail } from '../src/panels/HopDetail.tsx';
import { TruncatedBanner, truncatedText } from '../src/panels/TruncatedBanner.tsx';
import { appStore } from '../src/store/index.ts';
import { labTopology } from './fixtures/topo.ts';

/**
 * The real lab capture of a firewall in the VM dropping what comes in (packages/shared's proto
 * fixtures): asked from the VM to the uplink, that loss is the reverse direction, and the judge
 * says so in the VM hop's notes (SPEC DIR1).
 */
const capture = firewallEth0 as { topology: unknown; samples: unknown };
const TOPOLOGY = TopologySchema.parse(capture.topology);
const SAMPLES = SampleSchema.array().parse(capture.samples);
const VM = 'hwlab-vm1/eth0';
const UP = 'hwlab-up/wan0';
const HOST = TOPOLOGY.host;

/** The worker's answer for the capture, asked from the VM to the uplink, watching `watch`. */
function judgeCapture(watch: string[] | null): Judged {
  const e = createJudgeEngine();
  e.handle({ kind: 'reset', host: HOST });
  e.handle({ kind: 'topology', host: HOST, topology: TOPOLOGY });
  e.handle({ kind: 'watch', ids: watch });
  e.handle({ kind: 'path', from: VM, to: UP });
  const j = e.handle({ kind: 'window', host: HOST, samples: SAMPLES }).find((r) => r.kind === 'judged');
  if (j === undefined || j.kind !== 'judged') throw new Error('no judgement');
  return j;
}

describe('hop notes (HopReport.notes) reach the screen', () => {
  afterEach(() => {
    cleanup();
    appStore.getState().setHost(null);
  });

  it('MAP20: the judge worker carries a hop’s notes, even for a hop the map does not draw with numbers', () => {
    const stats = new Map(unpackStats(judgeCapture([]).changed));
    expect(stats.get(VM)?.status).toBe('warn');
    expect(stats.get(VM)?.notes).toMatch(/reverse direction/);
    // Packing keeps them, one line per note.
    const back = unpackStats(packStats([[VM, stats.get(VM)!]]))[0]?.[1];
    expect(back?.notes).toBe(stats.get(VM)!.notes);
  });

  it('MAP20: the hop detail, the finding on that hop and the Markdown for the ticket show the notes', () => {
    const j = judgeCapture(null);
    appStore.setState({ judgeExternally: true });
    appStore.getState().setHost(HOST);
    appStore.getState().setTopology(HOST, TOPOLOGY);
    act(() => appStore.getState().applyJudgement(j));
    Element.prototype.scrollIntoView ??= () => {};
    render(
      <>
        <FindingsPanel />
        <HopDetail />
      </>,
    );
    expect(screen.queryByTestId('hop-notes')).toBeNull();
    act(() => appStore.getState().select(VM));
    expect(screen.getByTestId('hop-notes').textContent).toMatch(/reverse direction/);
    const card = screen
      .getAllByTestId('finding')
      .find((el) => el.querySelector('[data-testid="finding-notes"]') !== null);
    expect(card?.getAttribute('data-rule')).toBe(j.findings?.find((f) => f.hop === VM)?.rule);
    expect(card?.querySelector('[data-testid="finding-notes"]')?.textContent).toMatch(/reverse direction/);
    // The PNG for the ticket draws them under the finding too.
    expect(pictureOf(appStore.getState(), 'u').notes?.get(VM)?.join('\n')).toMatch(/reverse direction/);
    const md = markdownOf(appStore.getState(), 'http://hub/?host=x');
    expect(md).toMatch(new RegExp(`Note on \`${VM}\`: .*reverse direction`));
  });
});

describe('a partial topology (topology.truncated) is said over the map', () => {
  afterEach(() => {
    cleanup();
    appStore.getState().setHost(null);
  });

  const open = (topology: Topology) => {
    appStore.getState().setHost(topology.host);
    act(() => appStore.getState().setTopology(topology.host, topology));
  };

  it('MAP21: a banner with the counts the agent left out; none when nothing was', () => {
    render(<TruncatedBanner />);
    open(labTopology());
    expect(screen.queryByTestId('truncated')).toBeNull();
    open({ ...labTopology(), truncated: { namespaces: 0, ifaces: 0, routes: 0, addresses: 0 } });
    expect(screen.queryByTestId('truncated')).toBeNull();
    open({ ...labTopology(), truncated: { namespaces: 12, ifaces: 340, routes: 0, addresses: 1 } });
    const banner = screen.getByTestId('truncated');
    expect(banner.textContent).toContain('left out 12 namespaces, 340 interfaces, 1 address');
    expect(banner.textContent).not.toContain('route');
    expect(banner.getAttribute('data-ifaces')).toBe('340');
    expect(truncatedText({ namespaces: 1, ifaces: 0, routes: 2, addresses: 0 })).toBe(
      '1 namespace, 2 routes',
    );
  });
});
