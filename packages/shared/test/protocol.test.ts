import { describe, expect, it } from 'vitest';
import {
  decodeAgentMessage,
  decodeUiToHub,
  IFACE_COUNTERS,
  ifaceId,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  splitIfaceId,
  unnamedNetnsName,
} from '../src/index.ts';

const zeros = () => IFACE_COUNTERS.map(() => 0);

describe('ids', () => {
  it('ID1: host interfaces are bare names, others are NETNS/IFNAME', () => {
    expect(ifaceId('', 'eno1')).toBe('eno1');
    expect(ifaceId('qrouter-1', 'qg-1')).toBe('qrouter-1/qg-1');
    expect(splitIfaceId('qrouter-1/qg-1')).toEqual({ netns: 'qrouter-1', ifname: 'qg-1' });
    expect(splitIfaceId('eno1')).toEqual({ netns: '', ifname: 'eno1' });
  });
  it('ID2: unnamed namespaces are ns-<inode>', () => {
    expect(unnamedNetnsName(4026532300)).toBe('ns-4026532300');
  });
});

describe('protocol', () => {
  const sample = {
    type: 'sample',
    seq: 3,
    backfill: false,
    sample: {
      t: 1_700_000_000_000,
      elapsedMs: 1000,
      ifaces: { eno1: zeros() },
      softnet: [
        { cpu: 0, processed: 10, dropped: 0, timeSqueeze: 0, receivedRps: 0, flowLimit: 0, backlogLen: 0 },
      ],
      qdiscs: {},
      snmp: { '': { 'Ip.InDiscards': 0 } },
      drops: [{ reason: 'CPU_BACKLOG', location: 'enqueue_to_backlog', cpu: 1, count: 4 }],
      sysctls: { 'net.core.netdev_max_backlog': 1000 },
      tracing: { state: 'on', detail: null, lost: 0 },
    },
  };

  it('PROTO1: a valid agent sample decodes to its typed value', () => {
    const r = decodeAgentMessage(JSON.stringify(sample));
    expect(r.ok).toBe(true);
    if (r.ok && r.value.type === 'sample') expect(r.value.sample.drops[0]?.reason).toBe('CPU_BACKLOG');
  });

  it('PROTO2: bad frames give an error result, never a throw', () => {
    expect(decodeAgentMessage('{not json')).toMatchObject({ ok: false });
    expect(decodeAgentMessage(JSON.stringify({ type: 'nope' }))).toMatchObject({ ok: false });
    const r = decodeAgentMessage(JSON.stringify({ ...sample, seq: 'x' }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain('seq');
    expect(decodeUiToHub(JSON.stringify({ type: 'subscribe', hosts: 'all' }))).toMatchObject({ ok: false });
    expect(decodeAgentMessage(null)).toMatchObject({ ok: false });
  });

  it('PROTO3: an oversized frame is refused before parsing', () => {
    const r = decodeAgentMessage(' '.repeat(MAX_FRAME_BYTES + 1));
    expect(r).toMatchObject({ ok: false });
    if (!r.ok) expect(r.error).toContain('exceeds');
  });

  it('PROTO4: a counter row of the wrong length is invalid', () => {
    const bad = structuredClone(sample);
    bad.sample.ifaces.eno1 = [1, 2, 3];
    expect(decodeAgentMessage(bad).ok).toBe(false);
  });

  it('PROTO5: keyframe totals must be decimal strings', () => {
    const kf = {
      type: 'keyframe',
      seq: 1,
      keyframe: { t: 1, ifaces: { eno1: IFACE_COUNTERS.map(() => '18446744073709551615') }, softnet: [] },
    };
    expect(decodeAgentMessage(kf).ok).toBe(true);
    const bad = structuredClone(kf);
    bad.keyframe.ifaces.eno1 = IFACE_COUNTERS.map(() => '-1');
    expect(decodeAgentMessage(bad).ok).toBe(false);
  });

  it('hello carries the protocol version', () => {
    const r = decodeAgentMessage({
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      host: 'h',
      agentVersion: '0.1.0',
      instance: 'x',
      intervalMs: 1000,
      tracing: 'on',
    });
    expect(r.ok).toBe(true);
  });
});
