import {
  formatDown,
  formatFault,
  formatStatus,
  formatTraffic,
  formatUp,
  LAB_OPTIONS,
  LabError,
  labDown,
  labFault,
  labStatus,
  labUp,
  parseLabArgs,
  startTraffic,
} from '@hopwatch/lab';
import { type Command, parseCommandArgs, UsageError } from '../command.ts';

const HELP = `hopwatch lab: an OpenStack-like network node in network namespaces (hwlab-*), to reproduce
packet loss and watch hopwatch find it. Needs root.

Usage:
  hopwatch lab up [--no-verify] [--ovs]
                                    build the lab (or reset it to fault-free); pings the router and VM;
                                    --ovs: br-ex/br-int/br-tun as Open vSwitch bridges (netdev datapath,
                                    a private OVS in /run/hopwatch-lab/ovs), phy-br-ex ⇄ int-br-ex as
                                    patch ports, router and VM ports on br-int VLANs 1 and 2
  hopwatch lab down                 remove every hwlab- namespace, restore every sysctl changed
  hopwatch lab status [--json]      namespaces, interfaces, the active fault, changed sysctls
  hopwatch lab fault KIND [--hop ID] [--max-backlog N] [--mtu N] [--percent P] [--conntrack-max N]
                                    inject one fault (it replaces the previous one):
      backlog  RPS on the hop to another CPU + tiny net.core.netdev_max_backlog (the seed's bug;
               default hop hwlab-qrouter-a1/qg-a1, netdev_max_backlog 8)
      mtu      lower the hop's MTU (1450) so its peer's full-size frames are dropped
      qdisc    tbf with a low rate and tiny limit on the hop's egress (default hwlab-node/tap-qg-a1)
      down     set the hop down
      firewall an nft rule dropping --percent (5) % of the lab's UDP and ICMP where traffic
               enters a namespace (hwlab-qrouter-a1/qg-a1 or hwlab-vm1/eth0)
      conntrack conntrack on in that namespace + tiny net.netfilter.nf_conntrack_max (64):
               new flows are dropped (traffic needs --flows 400)
      rpfilter strict rp_filter + a route that sends the way back elsewhere
      noroute  the router loses its routes to the VM (qg-a1), or the VM its way back (eth0)
      neigh    a next hop that never answers ARP (hwlab-qrouter-a1/qr-a1 or hwlab-up/wan0)
      flow-drop  (--ovs lab) an OpenFlow rule on br-int dropping the lab's UDP to the router
      patch-peer (--ovs lab) phy-br-ex's patch peer renamed to a port that does not exist
      none     clear every fault and restore sysctls
  hopwatch lab traffic [--rate PPS] [--seconds N] [--size BYTES] [--to ADDR] [--probe] [--count N]
                      [--flows N] [--noise PPS]
                                    UDP flood from hwlab-up/wan0 (default 10000 pps × 1472 B for
                                    10 s to 203.0.113.10); --probe adds the seed's counted
                                    \`ping -i 0.01\` (--count probes, default 100 per second);
                                    --seconds 0 runs until Ctrl-C; --flows spreads the flood
                                    over N source ports; --noise adds packets to a closed
                                    port and a multicast group (not loss)

Interface ids are NETNS/IFNAME, e.g. hwlab-qrouter-a1/qg-a1 (see /work/lab-contract.md).`;

export const labCommand: Command = {
  name: 'lab',
  summary: 'the reproducible namespace lab: up | down | status | fault KIND | traffic (root)',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('lab', LAB_OPTIONS, argv);
    const { help: _help, ...rest } = values;
    const parsed = parseLabArgs(positionals, rest);
    if (!parsed.ok) throw new UsageError(`hopwatch lab: ${parsed.error}`);
    const cmd = parsed.cmd;
    const print = (json: boolean, obj: unknown, text: string) =>
      console.log(json ? JSON.stringify(obj, null, 2) : text);
    try {
      switch (cmd.sub) {
        case 'up': {
          const r = await labUp({ verify: cmd.verify, ovs: cmd.ovs });
          print(cmd.json, r, formatUp(r));
          return 0;
        }
        case 'down': {
          const r = await labDown();
          print(cmd.json, r, formatDown(r));
          return 0;
        }
        case 'status': {
          const s = await labStatus();
          print(cmd.json, s, formatStatus(s));
          return 0;
        }
        case 'fault': {
          const settings = {
            ...(cmd.maxBacklog !== undefined ? { maxBacklog: cmd.maxBacklog } : {}),
            ...(cmd.mtu !== undefined ? { mtu: cmd.mtu } : {}),
            ...(cmd.firewallPercent !== undefined ? { firewallPercent: cmd.firewallPercent } : {}),
            ...(cmd.conntrackMax !== undefined ? { conntrackMax: cmd.conntrackMax } : {}),
          };
          const r = await labFault(cmd.kind, cmd.hop, { settings });
          print(cmd.json, r, formatFault(r));
          return 0;
        }
        case 'traffic': {
          const handle = startTraffic(cmd.traffic);
          const onSignal = () => void handle.stop();
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          const r = await handle.done;
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          print(cmd.json, r, formatTraffic(r));
          return 0;
        }
        default: {
          const never: never = cmd;
          throw new Error(`unhandled ${JSON.stringify(never)}`);
        }
      }
    } catch (e) {
      // The lab's own errors are for people: the message, no stack.
      if (e instanceof LabError) {
        console.error(`hopwatch lab: ${e.message}`);
        return 1;
      }
      throw e;
    }
  },
};
