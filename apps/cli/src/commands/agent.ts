import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import {
  type AgentOptions,
  DEFAULT_MAX_IFACES,
  DEFAULT_MAX_NAMESPACES,
  DEFAULT_MAX_NS_IFACES,
  formatCheck,
  runChecks,
  snapshotOnce,
  startAgent,
  parseOvsdbTarget,
} from '@hopwatch/agent';
import type { Sample, Topology } from '@hopwatch/shared';
import { IFACE_COUNTER_INDEX } from '@hopwatch/shared/protocol/constants';
import { printable } from '@hopwatch/shared/text';
import { agentToken } from './agent-token.ts';
import { type Command, intOption, parseCommandArgs, UsageError } from '../command.ts';

const HELP = `hopwatch agent: watch every interface of every network namespace of this machine and
stream counters, softnet statistics and kernel drop reasons to a hub.

Usage: hopwatch agent --hub ws://HOST:PORT [--name NAME] [--token-file FILE] [--ca FILE] [--interval MS]
                      [--netns GLOBS] [--no-tracing] [--proc-root DIR] [--sys-root DIR]
                      [--max-netns N] [--max-ifaces N] [--max-ns-ifaces N]
       hopwatch agent --once [--json] [options above except --hub/--token*]
       hopwatch agent --check

  --hub URL          the hub to stream to (ws://HOST:PORT, or wss:// for a hub with --tls-cert)
  --ca FILE          PEM CA certificate (or the hub's self-signed certificate) to verify a wss://
                     hub with, instead of the system's CAs; the certificate is always verified
  --name NAME        host name to report (default: ${hostname()})
  --token-file FILE  read the agent token the hub expects from FILE (first line; keep it 0600)
  HOPWATCH_TOKEN     ...or from this environment variable (only the agent's user can read it)
  --token T          ...or from the command line: every local user can read it there
                     (/proc/PID/cmdline, ps); prefer the two above
  --interval MS      sampling interval in milliseconds, 100 to 60000 (default 1000)
  --netns GLOBS      only namespaces whose name matches one of these comma-separated globs,
                     e.g. 'lab-a-*,qrouter-*'; '@host' selects the host's own namespace, which
                     is otherwise left out when --netns is given
  --no-tracing       do not read kernel drop reasons (skb:kfree_skb through tracefs)
  --ovsdb DB         Open vSwitch database to read bridges, ports, patch links and VLANs from:
                     unix:PATH or tcp:HOST:PORT (default unix:/var/run/openvswitch/db.sock,
                     only when it exists); over unix, datapath health and drop flows are read
                     through ovs-vswitchd's sockets in the same directory
  --no-ovs           do not read Open vSwitch even where it runs
  --proc-root DIR    read procfs from DIR instead of /proc (fixture trees, tests)
  --sys-root DIR     read sysfs from DIR instead of /sys
  --max-netns N      watch at most N network namespaces (default ${DEFAULT_MAX_NAMESPACES}); beyond, unnamed
                     ones (ns-<inode>) are left out first, logged, and counted in topology.truncated
  --max-ifaces N     at most N interfaces in all (default ${DEFAULT_MAX_IFACES}); whole namespaces beyond
                     are left out, unnamed ones first
  --max-ns-ifaces N  a namespace with more than N interfaces is left out (default ${DEFAULT_MAX_NS_IFACES})
  --once             take one snapshot (topology + one sample over one interval) and exit
  --check            print what the agent can see with its current privileges and which
                     capability or mount is missing for the rest (exit 1 when something is)
  --json             with --once: print it as JSON ({ topology, sample }); every interface
                     object carries its id (IFNAME on the host, NETNS/IFNAME elsewhere)

Needs root for other namespaces and for drop reasons; without tracefs it runs on counters alone
and says so. Everything a tenant controls (their namespaces' files, interface names) is read
defensively and printed escaped: see apps/agent/README.md, "Security". Stops cleanly on SIGINT/SIGTERM (holder processes and the tracefs instance removed).`;

export const agentCommand: Command = {
  name: 'agent',
  summary: 'stream this machine’s interfaces, softnet and drop reasons to a hub (or --once)',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs(
      'agent',
      {
        hub: { type: 'string' },
        name: { type: 'string' },
        token: { type: 'string' },
        'token-file': { type: 'string' },
        'max-netns': { type: 'string' },
        'max-ifaces': { type: 'string' },
        'max-ns-ifaces': { type: 'string' },
        ca: { type: 'string' },
        interval: { type: 'string' },
        netns: { type: 'string' },
        'no-tracing': { type: 'boolean' },
        'proc-root': { type: 'string' },
        'sys-root': { type: 'string' },
        once: { type: 'boolean' },
        json: { type: 'boolean' },
        check: { type: 'boolean' },
        ovsdb: { type: 'string' },
        'no-ovs': { type: 'boolean' },
      },
      argv,
    );
    if (values.check) {
      const lines = await runChecks({
        procRoot: values['proc-root'] ?? '/proc',
        sysRoot: values['sys-root'] ?? '/sys',
        netnsDir: '/run/netns',
        ovsdbSocket: values.ovsdb?.startsWith('unix:')
          ? values.ovsdb.slice(5)
          : '/var/run/openvswitch/db.sock',
      });
      console.log(formatCheck(lines));
      return lines.every((l) => l.ok) ? 0 : 1;
    }
    const opts: AgentOptions = {
      tracing: !values['no-tracing'],
      netnsGlob: values.netns ?? null,
    };
    const interval = intOption('agent', 'interval', values.interval, 100, 60_000);
    if (interval !== undefined) opts.intervalMs = interval;
    if (values.ovsdb !== undefined && values['no-ovs'])
      throw new UsageError('hopwatch agent: --ovsdb and --no-ovs contradict each other');
    if (values.ovsdb !== undefined) {
      const t = parseOvsdbTarget(values.ovsdb);
      if (typeof t === 'string') throw new UsageError(`hopwatch agent: ${t}`);
      opts.ovsdb = values.ovsdb;
    }
    if (values['no-ovs']) opts.ovsdb = null;
    if (values.name !== undefined) opts.host = values.name;
    if (values['proc-root'] !== undefined) opts.procRoot = values['proc-root'];
    if (values['sys-root'] !== undefined) opts.sysRoot = values['sys-root'];
    const maxNamespaces = intOption('agent', 'max-netns', values['max-netns'], 1, 1_000_000);
    if (maxNamespaces !== undefined) opts.maxNamespaces = maxNamespaces;
    const maxIfaces = intOption('agent', 'max-ifaces', values['max-ifaces'], 1, 10_000_000);
    if (maxIfaces !== undefined) opts.maxIfaces = maxIfaces;
    const maxNsIfaces = intOption('agent', 'max-ns-ifaces', values['max-ns-ifaces'], 1, 10_000_000);
    if (maxNsIfaces !== undefined) opts.maxNsIfaces = maxNsIfaces;

    if (values.once) {
      const snap = await snapshotOnce(opts);
      console.log(values.json ? JSON.stringify(snap) : formatSnapshot(snap.topology, snap.sample));
      return 0;
    }
    if (values.json) throw new UsageError('hopwatch agent: --json goes with --once');
    if (values.hub === undefined)
      throw new UsageError('hopwatch agent: --hub ws://HOST:PORT is required (or --once)');
    const token = agentToken(values.token, values['token-file'], process.env.HOPWATCH_TOKEN);
    const agent = await startAgent({ ...opts, hub: values.hub, token, tls: hubTls(values.hub, values.ca) });
    return new Promise((resolve) => {
      let stopping = false;
      const onSignal = (sig: NodeJS.Signals) => {
        if (stopping) process.exit(130);
        stopping = true;
        console.error(`hopwatch agent: ${sig}, stopping…`);
        agent
          .stop()
          .catch((e: Error) => console.error(`hopwatch agent: while stopping: ${e.message}`))
          .finally(() => resolve(0));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
  },
};

/** --ca FILE, read now (a typo is a usage error, not a retry loop) and only for a wss:// hub. */
function hubTls(hub: string, ca: string | undefined): { ca?: Buffer } {
  if (ca === undefined) return {};
  if (!/^(wss|https):\/\//.test(hub))
    throw new UsageError(`hopwatch agent: --ca is for a wss:// hub; ${hub} is not TLS`);
  try {
    return { ca: readFileSync(ca) };
  } catch (e) {
    throw new UsageError(`hopwatch agent: cannot read --ca ${ca}: ${(e as NodeJS.ErrnoException).code ?? e}`);
  }
}

/** --once without --json: one line per interface, busiest first. */
function formatSnapshot(topology: Topology, sample: Sample): string {
  const { rxPackets, txPackets, rxDropped, txDropped } = IFACE_COUNTER_INDEX;
  const lines = [
    `${topology.host}: ${topology.namespaces.length} namespaces, ${topology.ifaces.length} interfaces, ` +
      `${sample.elapsedMs} ms sample, drop reasons ${sample.tracing.state}` +
      (sample.tracing.detail ? ` (${sample.tracing.detail})` : ''),
    `${'interface'.padEnd(40)} ${'kind'.padEnd(9)} ${'state'.padEnd(8)} ${'mtu'.padStart(6)} ` +
      `${'rx pkts'.padStart(9)} ${'tx pkts'.padStart(9)} ${'rx drop'.padStart(8)} ${'tx drop'.padStart(8)}`,
  ];
  const rows = topology.ifaces.map((i) => ({ i, d: sample.ifaces[i.id] }));
  rows.sort(
    (a, b) =>
      (b.d?.[rxPackets] ?? 0) + (b.d?.[txPackets] ?? 0) - (a.d?.[rxPackets] ?? 0) - (a.d?.[txPackets] ?? 0),
  );
  for (const { i, d } of rows) {
    const n = (k: number) => String(d?.[k] ?? 0);
    lines.push(
      `${i.id.padEnd(40)} ${i.kind.padEnd(9)} ${i.operstate.padEnd(8)} ${String(i.mtu).padStart(6)} ` +
        `${n(rxPackets).padStart(9)} ${n(txPackets).padStart(9)} ${n(rxDropped).padStart(8)} ${n(txDropped).padStart(8)}`,
    );
  }
  for (const s of sample.softnet.filter((s) => s.dropped > 0))
    lines.push(`softnet: CPU ${s.cpu} dropped ${s.dropped}`);
  for (const d of sample.drops)
    lines.push(`drop reason: ${d.count} × ${d.reason} at ${d.location} (CPU ${d.cpu})`);
  if (topology.truncated) {
    const t = topology.truncated;
    lines.push(
      `over budget, not shown: ${t.namespaces} namespaces, ${t.ifaces} interfaces, ${t.routes} routes, ${t.addresses} addresses`,
    );
  }
  // Interface and namespace names are anyone's choice: no terminal escape gets through.
  return lines.map(printable).join('\n');
}
