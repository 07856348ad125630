import { once } from 'node:events';
import { HOP_STATUSES, splitIfaceId } from '@hopwatch/shared';
import type { Request, Response } from 'express';
import type { HostState, HubCore } from '../core.ts';
import { IFACE_TOTALS } from '../state/totals.ts';
import { formatValue, header, labelSet, line } from './promText.ts';

const P = 'hopwatch';
const STARTED_S = Date.now() / 1000;

/**
 * /metrics, node_exporter-style names under our own prefix (reference/scale-and-metrics.md 1.4):
 * counters are running totals the hub accumulates from the agents' deltas, labelled
 * {host, netns, interface}. Yields one family-and-host at a time so a big fleet streams out
 * instead of being built as one string. `?host=H` narrows the per-host families to one host.
 */
export function* metricsText(core: HubCore, onlyHost: string | null): Generator<string> {
  const hosts = [...core.hosts.values()]
    .filter((h) => onlyHost === null || h.host === onlyHost)
    .sort((a, b) => a.host.localeCompare(b.host));
  yield* hubHealth(core);

  // Label sets are built (and escaped) once per interface per scrape, not once per family:
  // eight families × 1000 interfaces × 200 hosts made escaping the scrape's biggest cost.
  const ifaceRows = new Map<HostState, [string, Float64Array | undefined][]>();
  for (const h of hosts) {
    const rows: [string, Float64Array | undefined][] = [];
    for (const [id, acc] of ifaceTotals(h)) {
      const { netns, ifname } = splitIfaceId(id);
      rows.push([labelSet({ host: h.host, netns, interface: ifname }), acc]);
    }
    ifaceRows.set(h, rows);
  }
  for (const [col, [key, , help]] of IFACE_TOTALS.entries()) {
    const name = `${P}_interface_${key}_total`;
    yield header(
      name,
      'counter',
      `${help}, summed from the agent's per-interval deltas since the hub started.`,
    );
    for (const h of hosts) {
      let out = '';
      for (const [labels, acc] of ifaceRows.get(h) ?? [])
        out += `${name}${labels} ${formatValue(acc?.[col] ?? 0)}\n`;
      yield out;
    }
  }

  const softnet = [
    ['processed', 0, 'Packets processed by the CPU (softnet_stat column 1).'],
    ['dropped', 1, 'Packets dropped because the CPU backlog was full (netdev_max_backlog; column 2).'],
    ['times_squeezed', 2, 'Times net_rx_action ran out of budget or time with work left (column 3).'],
  ] as const;
  for (const [key, col, help] of softnet) {
    const name = `${P}_softnet_${key}_total`;
    yield header(name, 'counter', help);
    for (const h of hosts) {
      let out = '';
      for (const [cpu, acc] of [...h.totals.softnet].sort((a, b) => a[0] - b[0]))
        out += line(name, { host: h.host, cpu }, acc[col]);
      yield out;
    }
  }

  yield header(
    `${P}_drop_reason_total`,
    'counter',
    'Packets the kernel freed as dropped (skb:kfree_skb), by reason and function.',
  );
  for (const h of hosts) {
    let out = '';
    for (const [key, n] of h.totals.dropReasons) {
      const [reason, location] = key.split('\0') as [string, string];
      out += line(`${P}_drop_reason_total`, { host: h.host, reason, location }, n);
    }
    yield out;
  }

  yield header(
    `${P}_qdisc_dropped_total`,
    'counter',
    'Packets dropped by the root qdisc (tc -s qdisc); no interface counter sees these.',
  );
  for (const h of hosts) {
    let out = '';
    for (const [key, n] of h.totals.qdiscDrops) {
      const [id, kind] = key.split('\0') as [string, string];
      const { netns, ifname } = splitIfaceId(id);
      out += line(`${P}_qdisc_dropped_total`, { host: h.host, netns, interface: ifname, kind }, n);
    }
    yield out;
  }

  const legend = HOP_STATUSES.map((s, i) => `${i}=${s}`).join(', ');
  yield header(
    `${P}_hop_status`,
    'gauge',
    `Loss status of each hop in the host's latest judgement, from localize(): of its latest sample while a browser watches it, else of its latest 10 s chunk: ${legend}.`,
  );
  core.refreshJudgements();
  for (const h of hosts) {
    let out = '';
    const hops = h.hops;
    for (let i = 0; hops && i < hops.status.length; i++) {
      const labels = { host: h.host, netns: hops.netns[i]!, interface: hops.names[i]! };
      out += line(`${P}_hop_status`, labels, hops.status[i]!);
    }
    yield out;
  }

  yield header(`${P}_host_up`, 'gauge', '1 while an agent for the host is connected.');
  for (const h of hosts) yield line(`${P}_host_up`, { host: h.host }, h.link ? 1 : 0);
}

/** Interfaces of the topology (zero when idle, so rate() has a series) plus any that moved. */
function ifaceTotals(h: HostState): Map<string, Float64Array | undefined> {
  const out = new Map<string, Float64Array | undefined>();
  for (const i of h.topology?.topology.ifaces ?? []) out.set(i.id, h.totals.ifaces.get(i.id));
  for (const [id, acc] of h.totals.ifaces) out.set(id, acc);
  return out;
}

function* hubHealth(core: HubCore): Generator<string> {
  const c = core.counters;
  const st = core.store.stats();
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  const loop = core.loopDelay.last();
  const simple: [string, 'counter' | 'gauge', string, number][] = [
    [`${P}_agents_connected`, 'gauge', 'Agents connected now.', core.agentsConnected()],
    [`${P}_hosts_known`, 'gauge', 'Hosts the hub has seen or has recordings of.', core.hosts.size],
    [`${P}_ui_clients`, 'gauge', 'Browsers connected to /ws/ui.', core.uiClients.size],
    [
      `${P}_ui_clients_lagging`,
      'gauge',
      'Browsers too slow to take every frame (sent merged latest state).',
      core.laggingUiClients(),
    ],
    [`${P}_frames_received_total`, 'counter', 'WebSocket frames received from agents.', c.framesReceived],
    [`${P}_frame_bytes_received_total`, 'counter', 'Bytes of agent frames received.', c.bytesReceived],
    [`${P}_samples_recorded_total`, 'counter', 'Samples accepted and recorded.', c.samplesRecorded],
    [
      `${P}_sample_frames_decoded_total`,
      'counter',
      "Agent sample frames the fast reader declined, decoded whole instead (slower, nothing lost): ~0 from hopwatch's own agents.",
      c.sampleFramesDecoded,
    ],
    [`${P}_ui_samples_sent_total`, 'counter', 'Sample frames sent to browsers.', c.uiSamplesSent],
    [
      `${P}_ui_samples_merged_total`,
      'counter',
      'Samples a slow browser got merged into a later frame instead of one by one.',
      c.uiSamplesMerged,
    ],
    [
      `${P}_agent_throttled_total`,
      'counter',
      'Times an agent sending faster than its rate limit had its socket paused.',
      c.agentThrottled,
    ],
    [`${P}_store_bytes`, 'gauge', 'Compressed bytes of recordings kept (chunks and topologies).', st.bytes],
    [`${P}_store_chunks`, 'gauge', 'Recording chunks kept.', st.chunks],
    [
      `${P}_store_samples_pending`,
      'gauge',
      'Samples in memory not yet written to the recording.',
      st.samplesPending,
    ],
    [`${P}_store_chunks_written_total`, 'counter', 'Recording chunks written.', st.chunksWritten],
    [
      `${P}_store_retention_deleted_chunks_total`,
      'counter',
      'Recording chunks removed by retention.',
      st.retentionDeletedChunks,
    ],
    [
      `${P}_store_corrupt_chunks_total`,
      'counter',
      'Recording chunks that could not be read.',
      st.corruptChunks,
    ],
    [
      `${P}_event_loop_delay_p99_seconds`,
      'gauge',
      'p99 of how late the event loop ran, over the last complete 10 s window.',
      loop.p99Ms / 1000,
    ],
    [
      `${P}_event_loop_delay_max_seconds`,
      'gauge',
      'Largest event loop delay in the last complete 10 s window.',
      loop.maxMs / 1000,
    ],
    ['process_resident_memory_bytes', 'gauge', 'Resident memory of the hub process.', mem.rss],
    [
      'process_cpu_seconds_total',
      'counter',
      'CPU time of the hub process (user + system).',
      (cpu.user + cpu.system) / 1e6,
    ],
    [
      'process_start_time_seconds',
      'gauge',
      'Start time of the hub process since the epoch.',
      Math.floor(STARTED_S),
    ],
  ];
  let out = '';
  for (const [name, type, help, v] of simple) out += header(name, type, help) + line(name, {}, v);
  out += header(
    `${P}_frames_rejected_total`,
    'counter',
    'Frames refused, by reason (the connection goes on).',
  );
  for (const [reason, n] of c.rejected) out += line(`${P}_frames_rejected_total`, { reason }, n);
  out += header(`${P}_connections_refused_total`, 'counter', 'Connections refused or dropped, by reason.');
  for (const [reason, n] of c.refused) out += line(`${P}_connections_refused_total`, { reason }, n);
  yield out;
}

/**
 * A scrape of 200 hosts × 1000 interfaces is ~200 MB of text (bench:hub). A fast reader keeps
 * `write` returning true, so without explicit yields the whole scrape ran as one 2.4 s block
 * of the event loop; now it yields every METRICS_SLICE_MS and waits for `drain` when asked to.
 */
const METRICS_SLICE_MS = 10;

export async function metricsRoute(core: HubCore, req: Request, res: Response): Promise<void> {
  const host = typeof req.query.host === 'string' ? req.query.host : null;
  res.status(200).type('text/plain; version=0.0.4; charset=utf-8');
  let sliceStart = performance.now();
  for (const chunk of metricsText(core, host)) {
    if (chunk === '') continue;
    if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
    else if (performance.now() - sliceStart > METRICS_SLICE_MS) await new Promise((r) => setImmediate(r));
    else continue;
    if (res.destroyed) return;
    sliceStart = performance.now();
  }
  res.end();
}
