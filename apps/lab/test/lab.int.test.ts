import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labFault } from '../src/fault-apply.ts';
import { labDown, labUp } from '../src/lifecycle.ts';
import { labNamespaces, run } from '../src/run.ts';
import { STATE_PATH } from '../src/state.ts';
import {
  LAB_IFACE_IDS,
  LAB_IFACES,
  LAB_NAMESPACES,
  LAB_PATH,
  LAB_VM_PATH,
  labIface,
  VM_ADDR,
} from '../src/topology.ts';
import { startTraffic } from '../src/traffic.ts';
import {
  cli,
  counterDelta,
  IS_ROOT,
  labCounters,
  notImplemented,
  REPO,
  readSysctlValue,
} from './helpers/harness.ts';

interface IpLink {
  ifindex: number;
  ifname: string;
  address: string;
  master?: string;
  operstate: string;
  link?: string;
  linkinfo?: { info_kind?: string; info_data?: Record<string, number> };
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

async function ipAddr(ns: string): Promise<IpLink[]> {
  const r = await run('ip', ['-n', ns, '-j', '-d', 'addr', 'show']);
  return JSON.parse(r.stdout) as IpLink[];
}

async function iflink(ns: string, name: string): Promise<number> {
  const r = await run('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${name}/iflink`]);
  return Number(r.stdout.trim());
}

describe.skipIf(!IS_ROOT)('lab up/down (root)', () => {
  let backlogBefore = '';
  beforeAll(async () => {
    await labDown();
    backlogBefore = await readSysctlValue('net.core.netdev_max_backlog');
  });
  afterAll(async () => {
    await labDown();
  });

  it('lab up builds the contract topology', async () => {
    const hostLinks = async () =>
      (JSON.parse((await run('ip', ['-j', 'link', 'show'])).stdout) as IpLink[]).map((l) => l.ifname);
    const hostBefore = await hostLinks();
    const r = await labUp();
    expect(r.created).toBe(true);
    expect(r.namespaces).toEqual([...LAB_NAMESPACES].sort());
    for (const ns of LAB_NAMESPACES) {
      const links = await ipAddr(ns);
      for (const want of LAB_IFACES.filter((i) => i.netns === ns)) {
        const got = links.find((l) => l.ifname === want.name);
        expect(got, `${ns}/${want.name}`).toBeDefined();
        if (!got) continue;
        expect(got.linkinfo?.info_kind).toBe(want.kind);
        expect(got.address).toBe(want.mac);
        expect(got.master).toBe(want.master);
        expect(got.operstate).toBe('UP');
        // IPv4 only: no link-local IPv6 chatter.
        expect((got.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`)).toEqual(
          want.addr ? [want.addr] : [],
        );
        if (want.kind === 'bridge') {
          expect(got.linkinfo?.info_data?.stp_state).toBe(0);
          expect(got.linkinfo?.info_data?.forward_delay).toBe(0);
          expect(got.linkinfo?.info_data?.mcast_snooping).toBe(0);
        }
        if (want.peer) {
          const peer = labIface(want.peer)!;
          const peerLink = (await ipAddr(peer.netns)).find((l) => l.ifname === peer.name);
          expect(await iflink(ns, want.name), `${ns}/${want.name} peer`).toBe(peerLink?.ifindex);
        }
      }
      // Nothing but the contract's interfaces (and lo).
      expect(links.map((l) => l.ifname).sort()).toEqual(
        ['lo', ...LAB_IFACES.filter((i) => i.netns === ns).map((i) => i.name)].sort(),
      );
    }
    // Nothing in the host namespace (other engineers' links may come and go: compare ours only).
    const hostAfter = await hostLinks();
    for (const i of LAB_IFACES) if (!hostBefore.includes(i.name)) expect(hostAfter).not.toContain(i.name);
  });

  it('up twice is fine: the second resets the lab to its baseline', async () => {
    await labFault('mtu');
    const r = await labUp();
    expect(r.created).toBe(false);
    const qg = (await ipAddr('hwlab-qrouter-a1')).find((l) => l.ifname === 'qg-a1');
    expect(qg?.addr_info?.length).toBe(1);
    const mtu = await run('ip', ['netns', 'exec', 'hwlab-qrouter-a1', 'cat', '/sys/class/net/qg-a1/mtu']);
    expect(mtu.stdout.trim()).toBe('1500');
  });

  it('an idle lab is idle: no counter moves in 5 s', async () => {
    const a = await labCounters();
    await new Promise((r) => setTimeout(r, 5000));
    const moved = [...counterDelta(a, await labCounters())].filter(([, d]) =>
      Object.values(d).some((v) => v !== 0),
    );
    expect(moved).toEqual([]);
  });

  it('traffic to qg-a1 crosses the eight hops, and the decoy router sees none of it', async () => {
    const before = await labCounters();
    const r = await startTraffic({ rate: 2000, seconds: 2 }).done;
    const d = counterDelta(before, await labCounters());
    const sent = r.flood!.sent;
    expect(sent).toBeGreaterThan(3500);
    expect(r.flood!.received).toBe(sent);
    for (const id of LAB_PATH) {
      const i = labIface(id)!;
      if (i.kind !== 'veth') continue;
      const moved =
        id === 'hwlab-up/wan0' || i.peer === LAB_PATH[LAB_PATH.indexOf(id) + 1]
          ? d.get(id)!.txPackets
          : d.get(id)!.rxPackets;
      expect(moved, id).toBe(sent);
    }
    for (const id of [
      'hwlab-node/tap-qg-b2',
      'hwlab-qrouter-b2/qg-b2',
      'hwlab-node/tap-vm1',
      'hwlab-qrouter-b2/qr-b2',
    ]) {
      expect(d.get(id), id).toEqual({ rxPackets: 0, rxDropped: 0, txPackets: 0, txDropped: 0 });
    }
  });

  it('traffic to the VM crosses the router and the tenant bridge', async () => {
    const before = await labCounters();
    const r = await startTraffic({ rate: 1000, seconds: 1, to: VM_ADDR }).done;
    const d = counterDelta(before, await labCounters());
    const sent = r.flood!.sent;
    expect(r.flood!.received).toBe(sent);
    for (const id of ['hwlab-qrouter-a1/qg-a1', 'hwlab-node/tap-qr-a1', 'hwlab-vm1/eth0']) {
      expect(d.get(id)!.rxPackets, id).toBe(sent);
    }
    for (const id of ['hwlab-qrouter-a1/qr-a1', 'hwlab-node/tap-vm1'])
      expect(d.get(id)!.txPackets, id).toBe(sent);
    expect(LAB_VM_PATH.at(-1)).toBe('hwlab-vm1/eth0');
  });

  it("the probe counts like the seed's ping -i 0.01", async () => {
    const r = await startTraffic({ rate: 0, probe: true, probeCount: 100 }).done;
    expect(r.flood).toBeNull();
    expect(r.probe).toEqual({ to: '203.0.113.10', sent: 100, received: 100, lost: 0, lossRatio: 0 });
  });

  it('agent --once --json sees every lab interface under its contract id', async (ctx) => {
    const r = await cli(['agent', '--once', '--json']);
    if (notImplemented(r)) {
      console.log('agent --once --json is not implemented yet: skipping the agent check');
      ctx.skip();
    }
    expect(r.code, r.stderr).toBe(0);
    const snap = JSON.parse(r.stdout) as {
      topology: { ifaces: { id: string; peer: string | null; master: string | null }[] };
    };
    const ifaces = new Map(snap.topology.ifaces.map((i) => [i.id, i]));
    for (const want of LAB_IFACES) {
      const id = `${want.netns}/${want.name}`;
      expect(ifaces.has(id), id).toBe(true);
      if (want.peer) expect(ifaces.get(id)?.peer, `${id} peer`).toBe(want.peer);
      if (want.master) expect(ifaces.get(id)?.master, `${id} master`).toBe(`${want.netns}/${want.master}`);
    }
    expect(LAB_IFACE_IDS.length).toBe(LAB_IFACES.length);
  });

  it('a half-built lab (crash during up) is rebuilt by up', async () => {
    await run('ip', ['netns', 'del', 'hwlab-vm1']);
    const r = await labUp();
    expect(r.created).toBe(true);
    expect(await labNamespaces()).toEqual([...LAB_NAMESPACES].sort());
  });

  it('traffic whose parent is killed -9 stops by itself (stdin closes)', async () => {
    const child = spawn(
      process.execPath,
      ['bin/hopwatch.mjs', 'lab', 'traffic', '--rate', '100', '--seconds', '600'],
      {
        cwd: REPO,
        stdio: 'ignore',
      },
    );
    const pids = async () => (await run('ip', ['netns', 'pids', 'hwlab-up'])).stdout.trim();
    for (let i = 0; i < 50 && (await pids()) === ''; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await pids()).not.toBe('');
    child.kill('SIGKILL');
    for (let i = 0; i < 50 && (await pids()) !== ''; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await pids()).toBe('');
    expect((await run('ip', ['netns', 'pids', 'hwlab-qrouter-a1'])).stdout.trim()).toBe('');
  });

  it('lab down (another process, as after a crash) removes every hwlab- namespace and restores sysctls', async () => {
    await labFault('backlog');
    expect(await readSysctlValue('net.core.netdev_max_backlog')).toBe('8');
    expect(existsSync(STATE_PATH)).toBe(true);
    const r = await cli(['lab', 'down']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`restored net.core.netdev_max_backlog = ${backlogBefore}`);
    expect(await labNamespaces()).toEqual([]);
    expect(await readSysctlValue('net.core.netdev_max_backlog')).toBe(backlogBefore);
    expect(existsSync(STATE_PATH)).toBe(false);
    // And down again is harmless.
    expect((await labDown()).removed).toEqual([]);
  });
});
