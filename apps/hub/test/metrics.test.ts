import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeLabelValue } from '../src/http/promText.ts';
import { type Hub, silentLogger, startHub } from '../src/index.ts';
import { authedFetch as fetch, TEST_AUTH } from './helpers/auth.ts';
import { FakeAgent } from './helpers/clients.ts';
import { makeSample, makeTopology, row } from './helpers/data.ts';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
if (!hasPromtool)
  console.log(
    'metrics.test: promtool not found (scripts/ensure-deps.sh installs it); skipping the format check',
  );

let hub: Hub;
let agent: FakeAgent;
let text: string;

beforeAll(async () => {
  hub = await startHub({ port: 0, db: ':memory:', agentToken: null, log: silentLogger, auth: TEST_AUTH });
  agent = new FakeAgent(hub.url, 'h"1\\x');
  await agent.hello();
  const t0 = Math.floor(Date.now() / 1000) * 1000 - 10_000;
  agent.topology(t0, makeTopology('h"1\\x', ['eno1', 'qrouter-a/qg-a', 'qrouter-a/idle0']));
  for (let i = 1; i <= 3; i++) {
    agent.sample(
      makeSample(
        t0 + i * 1000,
        {
          eno1: row({ rxPackets: 100, rxBytes: 150_000 }),
          'qrouter-a/qg-a': row({ rxPackets: 90, rxDropped: 10 }),
        },
        {
          drops: [{ reason: 'CPU_BACKLOG', location: 'enqueue_to_backlog', cpu: 1, count: 10 }],
          qdiscs: {
            'qrouter-a/qg-a': {
              kind: 'tbf',
              packets: 5,
              bytes: 500,
              drops: 2,
              overlimits: 3,
              requeues: 0,
              qlen: 1,
            },
          },
        },
      ),
    );
  }
  const until = Date.now() + 5000;
  while (hub.store.lastT('h"1\\x') !== t0 + 3000 && Date.now() < until)
    await new Promise((r) => setTimeout(r, 20));
  text = await (await fetch(`${hub.url}/metrics`)).text();
});

afterAll(async () => {
  agent.terminate();
  await hub.close();
});

describe('/metrics', () => {
  it('escapes label values (backslash, quote, newline)', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
  });

  it('sums deltas into node_exporter-style running totals per {host, netns, interface}', () => {
    expect(text).toContain(
      'hopwatch_interface_receive_packets_total{host="h\\"1\\\\x",netns="",interface="eno1"} 300',
    );
    expect(text).toContain(
      'hopwatch_interface_receive_dropped_total{host="h\\"1\\\\x",netns="qrouter-a",interface="qg-a"} 30',
    );
    expect(text).toContain(
      'hopwatch_interface_receive_packets_total{host="h\\"1\\\\x",netns="qrouter-a",interface="idle0"} 0',
    );
    expect(text).toContain('hopwatch_softnet_dropped_total{host="h\\"1\\\\x",cpu="1"} 3');
    expect(text).toContain(
      'hopwatch_drop_reason_total{host="h\\"1\\\\x",reason="CPU_BACKLOG",location="enqueue_to_backlog"} 30',
    );
    expect(text).toContain(
      'hopwatch_qdisc_dropped_total{host="h\\"1\\\\x",netns="qrouter-a",interface="qg-a",kind="tbf"} 6',
    );
    expect(text).toMatch(/hopwatch_hop_status\{host="h\\"1\\\\x",netns="",interface="eno1"\} \d/);
    expect(text).toContain('hopwatch_agents_connected 1');
    expect(text).toContain('hopwatch_samples_recorded_total 3');
  });

  it.skipIf(!hasPromtool)('passes promtool check metrics', () => {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
