/**
 * A quiet namespace (no packet on any of its interfaces, lo included) is read cheaply: its net/dev
 * compared byte for byte (COL8), its snmp re-read every 5th sample only (COL9). What moves there
 * without a packet must still show: a counter within 5 samples, a drop reason at once.
 */
import type { Sample } from '@hopwatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentCollector, createAgentCollector } from '../src/collector.ts';
import { cleanupAll, IS_ROOT, ipBatch, quiet, run, sh } from './support/netns.ts';

const NS = 'hwt-ag-q1';
/** COL9's period for a quiet namespace's snmp (sampling/counter-reader.ts). */
const QUIET_SNMP_EVERY = 5;

/** A UDP datagram sent from inside the namespace with bash's /dev/udp (no packet leaves when it fails). */
function sendUdp(to: string): Promise<{ code: number | null; stderr: string }> {
  return run('ip', ['netns', 'exec', NS, 'bash', '-c', `echo x > /dev/udp/${to}/9`]);
}

/** The namespace's interface deltas in a sample (ids `NS/IFNAME`). */
const nsIfaces = (s: Sample) => Object.keys(s.ifaces).filter((id) => id.startsWith(`${NS}/`));

describe.skipIf(!IS_ROOT)('a quiet namespace (root)', () => {
  let collector: AgentCollector;

  beforeAll(async () => {
    cleanupAll('hwt-ag-q');
    ipBatch('', [`netns add ${NS}`]);
    quiet(NS);
    ipBatch(NS, [
      'link add q0 type veth peer name q1',
      'addr add 10.251.0.1/24 dev q0',
      'link set q0 up',
      'link set q1 up',
      'link set lo up',
    ]);
    collector = await createAgentCollector({ netnsGlob: 'hwt-ag-q*' });
    // Let what the setup moved pass: from here on nothing crosses an interface of NS.
    for (let i = 0; i < 3; i++) await collector.sample();
  }, 30_000);

  afterAll(async () => {
    await collector?.close();
    cleanupAll('hwt-ag-q');
  });

  it('COL9: a counter that moves without a packet (Ip.OutNoRoutes of a local send) shows within 5 samples, whole', async () => {
    const sent = await sendUdp('10.99.1.1'); // no route: ENETUNREACH before any packet exists
    expect(sent.stderr).toMatch(/unreachable/i);
    const samples: Sample[] = [];
    for (let i = 0; i < QUIET_SNMP_EVERY; i++) samples.push(await collector.sample());
    expect(samples.flatMap(nsIfaces)).toEqual([]); // quiet throughout: the skip applied
    const seen = samples.map((s) => s.snmp[NS]?.['Ip.OutNoRoutes'] ?? 0);
    expect(seen.filter((n) => n > 0)).toEqual([1]);
  });

  it('COL9: a drop in the quiet namespace (NETFILTER_DROP on output) shows as a drop reason as soon as it is read', async () => {
    sh(
      'ip',
      'netns',
      'exec',
      NS,
      'nft',
      'add table ip hwtq; add chain ip hwtq out { type filter hook output priority 0; }; add rule ip hwtq out udp dport 9 drop',
    );
    await collector.sample();
    const sent = await sendUdp('10.251.0.2'); // routed via q0, dropped at LOCAL_OUT before ARP
    expect(sent.code).not.toBe(0);
    // The trace_pipe reader is a child process: its line may land a moment after the send.
    const samples: Sample[] = [];
    const netfilterDrops = () => samples.flatMap((s) => s.drops).filter((d) => d.reason === 'NETFILTER_DROP');
    for (let i = 0; i < 5 && netfilterDrops().length === 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      samples.push(await collector.sample());
    }
    expect(samples.flatMap(nsIfaces)).toEqual([]);
    if (samples[0]!.tracing.state !== 'on') return; // a kernel without drop reasons: counters only
    expect(netfilterDrops().reduce((a, d) => a + d.count, 0)).toBe(1);
  });
});
