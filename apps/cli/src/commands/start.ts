import { hostname } from 'node:os';
import { type AgentHandle, type AgentOptions, startAgent } from '@hopwatch/agent';
import { type Hub, startHub } from '@hopwatch/hub';
import { labDown, labUp, startTraffic, type TrafficHandle, VM_ADDR } from '@hopwatch/lab';
import { type Command, intOption, parseCommandArgs, UsageError } from '../command.ts';
import {
  defaultDbPath,
  HUB_OPTIONS,
  hubOptionsFrom,
  printHubBanner,
  randomToken,
  untilSignal,
} from './hub.ts';
import { printsToken, reloadOnHangup } from './hubAuth.ts';

/**
 * Background traffic that keeps the lab's map alive: low enough to cost little CPU, through the
 * whole path (uplink → router → VM). Its own UDP port, so `hopwatch lab traffic` (default 9000)
 * can run beside it with its own sink.
 */
const LAB_TRAFFIC = { to: VM_ADDR, rate: 500, seconds: 0, port: 9100, size: 1000 } as const;

const HELP = `hopwatch start: the hub with an embedded agent for this machine, in one process.

Usage: hopwatch start [--lab] [--name NAME] [--interval MS] [--port N] [--listen ADDR] [--db PATH]
                      [--retention-hours H] [--retention-mb MB]

  --lab                also build the lab (root; hwlab-* namespaces), run light traffic through
                       it, and take it down again at exit
  --ovs                with --lab: the lab built with Open vSwitch bridges and patch ports, and
                       the agent reading that OVS (its --ovsdb)
  --name NAME          host name the agent reports (default: ${hostname()})
  --interval MS        sampling interval (default 1000)
  --port, --listen, --db, --retention-hours, --retention-mb, --allow-origin, --chunk-seconds,
  --access-token-file, --tokens-file, --public-url, --auth-proxy-*, --trusted-proxy,
  --insecure-no-auth
                       as for \`hopwatch hub\` (default port 7070 on 127.0.0.1,
                       recordings in ${defaultDbPath()}; see \`hopwatch hub --help\`)

Open the printed URL: it signs the browser in as operator (the token is kept beside the
database, DB.token). The agent's token is random and stays inside the process. Ctrl-C (or SIGTERM) stops the agent,
flushes the recording and exits. Run as root to see every namespace and the kernel's drop
reasons. \`npm start\` builds the web app first; \`hopwatch start\` alone serves what is built.`;

export const startCommand: Command = {
  name: 'start',
  summary: 'hub + an agent for this machine on http://127.0.0.1:7070 (--lab: with the demo lab)',
  help: HELP,
  async run(argv) {
    const { values } = parseCommandArgs(
      'start',
      {
        ...HUB_OPTIONS,
        lab: { type: 'boolean' },
        ovs: { type: 'boolean' },
        name: { type: 'string' },
        interval: { type: 'string' },
      },
      argv,
    );
    if (values.ovs && !values.lab)
      throw new UsageError('hopwatch start: --ovs goes with --lab (the lab built with Open vSwitch)');
    const token = randomToken();
    const hubOpts = hubOptionsFrom('start', values, token);
    const agentOpts: AgentOptions = {};
    const interval = intOption('start', 'interval', values.interval, 100, 60_000);
    if (interval !== undefined) agentOpts.intervalMs = interval;
    if (values.name !== undefined) agentOpts.host = values.name;

    let lab = false;
    let hub: Hub | null = null;
    let agent: AgentHandle | null = null;
    let traffic: TrafficHandle | null = null;
    const cleanup = async () => {
      await traffic?.stop().catch(() => {});
      // Agent first: it says goodbye and the hub records its last sample.
      await agent?.stop();
      await hub?.close();
      if (lab) {
        const r = await labDown();
        console.error(`hopwatch: lab down (${r.removed.length} namespaces removed)`);
      }
    };

    try {
      if (values.lab) {
        console.error('hopwatch: bringing the lab up…');
        lab = true;
        const r = await labUp({ ovs: values.ovs ?? false });
        console.error(
          `hopwatch: lab up (${r.namespaces.length} namespaces${r.ovsdb ? ', Open vSwitch' : ''})`,
        );
        if (r.ovsdb !== undefined) agentOpts.ovsdb = r.ovsdb;
      }
      hub = await startHub(hubOpts);
      const wsUrl = hub.url.replace(/^http/, 'ws');
      agent = await startAgent({ ...agentOpts, hub: wsUrl, token });
      if (lab) {
        traffic = startTraffic(LAB_TRAFFIC);
        traffic.done
          .then(() => console.error('hopwatch: lab traffic ended'))
          .catch((e: Error) => console.error(`hopwatch: lab traffic stopped: ${e.message}`));
      }
    } catch (e) {
      await cleanup().catch(() => {});
      throw e;
    }
    printHubBanner(hub, hubOpts);
    reloadOnHangup(hub);
    console.log(
      `hopwatch: open ${printsToken(hub, hubOpts) ? (hub.loginUrl ?? hub.url) : hub.url}  (agent for ${agentOpts.host ?? hostname()}` +
        `${lab ? `, lab traffic ${LAB_TRAFFIC.rate} pps to ${LAB_TRAFFIC.to}` : ''}; Ctrl-C to stop)`,
    );
    return untilSignal(cleanup);
  },
};
