import { type Iface, type Topology, TopologySchema } from '@hopwatch/shared';
import { describe, expect, it } from 'vitest';
import { parseOvsdbTarget } from '../src/ovs/client.ts';
import { rowDelta, statsRow } from '../src/ovs/counters.ts';
import { flowDelta, type HealthReading, type OvsHealth } from '../src/ovs/health.ts';
import { decodeRpc, JsonSplitter } from '../src/ovs/jsonrpc.ts';
import { parseCoverageShow, parseDpctlShow, parseDropFlows, parseFlowLine } from '../src/ovs/parse.ts';
import { applyUpdates, emptyTables, viewOf } from '../src/ovs/rows.ts';
import { applyOvs, ovsNamespace, viewShape } from '../src/ovs/topology.ts';
import { HEALTH_WAIT_MS, OvsSource } from '../src/ovs/source.ts';
import { unixctl } from '../src/ovs/unixctl.ts';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture } from './support/fixtures.ts';

/** The captured stream: the monitor reply and the statistics update that followed it. */
function capturedTables() {
  const r = new JsonSplitter().push(fixture('ovs/monitor-reply.json'));
  if (!r.ok) throw new Error(r.error);
  const [reply, update] = r.messages.map((m) => decodeRpc(m)!);
  const tables = emptyTables();
  applyUpdates(tables, reply!.result);
  return { tables, update: update! };
}

const NS = 'hwtest-ovs1';
function dev(netns: string, name: string, over: Partial<Iface> = {}): Iface {
  return {
    id: netns === '' ? name : `${netns}/${name}`,
    netns,
    name,
    ifindex: 1,
    kind: 'veth',
    driverKind: 'veth',
    mtu: 1500,
    operstate: 'up',
    adminUp: true,
    carrier: true,
    mac: null,
    addresses: [],
    qdisc: null,
    txqueuelen: null,
    rpsCpus: null,
    master: null,
    portState: null,
    peer: null,
    lower: null,
    vxlan: null,
    ...over,
  };
}
/** The kernel's side of the capture: ovs-vswitchd's namespace with its taps and two veths. */
function kernelTopology(): Topology {
  const tap = { kind: 'tap', driverKind: 'tun' } as const;
  return {
    host: 'hv',
    kernel: '6.18',
    cpus: 2,
    namespaces: [{ name: NS, inode: 1, forwarding: false }],
    ifaces: [
      dev(NS, 'ovs-netdev', tap),
      dev(NS, 'br-ex', tap),
      dev(NS, 'br-int', tap),
      dev(NS, 'br-tun', tap),
      dev(NS, 'va'),
      dev(NS, 'vb'),
    ],
    routes: [],
  };
}

describe('OVSDB JSON-RPC framing (OVS1)', () => {
  it('OVS1: splits back-to-back objects across chunk boundaries, braces and escapes inside strings', () => {
    const s = new JsonSplitter();
    const text = '{"id":1,"result":{"a":"}{\\"]"}}{"id":null,"method":"echo","params":[]}';
    const out: string[] = [];
    for (let k = 0; k < text.length; k += 7) {
      const r = s.push(text.slice(k, k + 7));
      expect(r.ok).toBe(true);
      if (r.ok) out.push(...r.messages);
    }
    expect(out.map((m) => JSON.parse(m))).toEqual([
      { id: 1, result: { a: '}{"]' } },
      { id: null, method: 'echo', params: [] },
    ]);
  });

  it('OVS1: a message over the cap or garbage between messages ends the stream, never grows the buffer', () => {
    const s = new JsonSplitter(1000);
    expect(s.push(`{"id":1,"result":"${'x'.repeat(2000)}`)).toEqual({
      ok: false,
      error: 'a message over 1000 bytes',
    });
    expect(new JsonSplitter().push('{"id":1} nope').ok).toBe(false);
    // A quote between messages is garbage too, not the start of a string that hides what follows.
    expect(new JsonSplitter().push('{"id":1} "x" {"id":2}').ok).toBe(false);
    expect(decodeRpc('[1,2]')).toBeNull();
    expect(decodeRpc('{"id":1,"method":5}')).toBeNull();
  });

  it('OVS1: --ovsdb is unix:PATH or tcp:HOST:PORT', () => {
    expect(parseOvsdbTarget('unix:/run/x/db.sock')).toEqual({ kind: 'unix', path: '/run/x/db.sock' });
    expect(parseOvsdbTarget('tcp:127.0.0.1:6640')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 6640 });
    expect(parseOvsdbTarget('tcp:[::1]:6640')).toEqual({ kind: 'tcp', host: '::1', port: 6640 });
    expect(parseOvsdbTarget('/var/run/openvswitch/db.sock')).toMatch(/unix:PATH or tcp:HOST:PORT/);
    expect(parseOvsdbTarget('tcp:h:99999')).toMatch(/unix:PATH/);
  });
});

describe('OVSDB monitor data (OVS2)', () => {
  it('OVS2: the captured monitor reply reads as bridges, ports with tags, interfaces with types, peers and statistics', () => {
    const view = viewOf(capturedTables().tables);
    // ovs_version is written by the ovs-ctl start script, not by the daemons started by hand.
    expect(view.version).toBeNull();
    expect(view.bridges.map((b) => [b.name, b.datapathType])).toEqual([
      ['br-ex', 'netdev'],
      ['br-int', 'netdev'],
      ['br-tun', 'netdev'],
    ]);
    const brInt = view.bridges[1]!;
    expect(brInt.ports.map((p) => [p.name, p.tag])).toEqual([
      ['br-int', null],
      ['int-br-ex', 1],
      ['vb', 1],
    ]);
    const patch = brInt.ports[1]!.ifaces[0]!;
    expect(patch).toMatchObject({ type: 'patch', ofport: 1, adminState: 'up', linkState: 'up', error: null });
    expect(patch.options.get('peer')).toBe('phy-br-ex');
    expect(patch.statistics.get('rx_packets')).toBe(42);
    const vxlan = view.bridges[2]!.ports.find((p) => p.name.startsWith('vxlan'))!.ifaces[0]!;
    expect(vxlan.options.get('remote_ip')).toBe('10.0.0.2');
  });

  it('OVS2: updates apply incrementally: a statistics update, a new patch port, its error set and cleared, a tag and trunks changed', () => {
    const { tables, update } = capturedTables();
    expect(update.method).toBe('update');
    expect(applyUpdates(tables, (update.params as unknown[])[1])).toBe(true);
    const stats = () =>
      viewOf(tables)
        .bridges[1]!.ports.find((p) => p.name === 'int-br-ex')!
        .ifaces[0]!.statistics.get('tx_packets');
    expect(stats()).toBe(14);
    const lines = fixture('ovs/monitor-updates.jsonl').trim().split('\n');
    const orphan = () => viewOf(tables).bridges[1]!.ports.find((p) => p.name === 'patch-orphan')?.ifaces[0];
    const errors: (string | null | undefined)[] = [];
    for (const line of lines) {
      applyUpdates(tables, (JSON.parse(line) as { params: unknown[] }).params[1]);
      errors.push(orphan()?.error);
    }
    expect(errors).toContain("No usable peer 'nowhere' exists in 'netdev' datapath.");
    expect(orphan()).toMatchObject({ type: 'patch', ofport: 3, error: null });
    const ports = viewOf(tables).bridges[1]!.ports;
    expect(ports.find((p) => p.name === 'vb')!.tag).toBe(5);
    expect(ports.find((p) => p.name === 'int-br-ex')!.trunks).toEqual([1, 2]);
    // A deleted row is one with `old` only.
    const [vbUuid] = [...tables.Port].find(([, r]) => r.name === 'vb')!;
    applyUpdates(tables, { Port: { [vbUuid]: { old: { name: 'vb' } } } });
    expect(viewOf(tables).bridges[1]!.ports.some((p) => p.name === 'vb')).toBe(false);
  });

  it('OVS2: values of the wrong shape read as absent, never throw', () => {
    const tables = emptyTables();
    applyUpdates(tables, {
      Bridge: { u1: { new: { name: 'br0', ports: ['set', [['uuid', 'p1'], 'junk']], datapath_type: 7 } } },
      Port: { p1: { new: { name: ['set', []], interfaces: 'x' } } },
      Interface: 'nope',
    });
    applyUpdates(tables, null);
    expect(viewOf(tables)).toEqual({
      version: null,
      bridges: [{ name: 'br0', datapathType: '', ports: [] }],
    });
  });
});

describe('OVS in the topology (OVS3)', () => {
  const view = viewOf(capturedTables().tables);

  it('OVS3: patch ports are ovs-patch hops in OVS namespace, peers of each other, ports of their bridge', () => {
    const { topology, synthetic } = applyOvs(kernelTopology(), view);
    expect(TopologySchema.safeParse(topology).success).toBe(true);
    const byId = new Map(topology.ifaces.map((i) => [i.id, i]));
    expect(ovsNamespace(kernelTopology(), view)).toBe(NS);
    expect(byId.get(`${NS}/phy-br-ex`)).toMatchObject({
      kind: 'ovs-patch',
      master: `${NS}/br-ex`,
      peer: `${NS}/int-br-ex`,
      ovs: { bridge: 'br-ex', type: 'patch', patchPeer: 'int-br-ex', ofport: 1 },
    });
    expect(byId.get(`${NS}/int-br-ex`)).toMatchObject({ peer: `${NS}/phy-br-ex`, ovs: { tag: 1 } });
    expect(byId.get(`${NS}/vb`)).toMatchObject({
      kind: 'veth',
      master: `${NS}/br-int`,
      ovs: { tag: 1, type: '' },
    });
    expect(byId.get(`${NS}/br-int`)).toMatchObject({
      kind: 'ovs',
      master: null,
      ovs: { datapathType: 'netdev' },
    });
    expect(byId.get(`${NS}/vxlan-0a000002`)).toMatchObject({
      kind: 'vxlan',
      master: `${NS}/br-tun`,
      vxlan: { remote: '10.0.0.2', local: '10.0.0.1', vni: null },
    });
    expect([...synthetic.keys()].sort()).toEqual([
      `${NS}/int-br-ex`,
      `${NS}/phy-br-ex`,
      `${NS}/vxlan-0a000002`,
    ]);
  });

  it('OVS3: a patch port whose peer is missing or does not point back has no peer edge', () => {
    const { tables } = capturedTables();
    for (const line of fixture('ovs/monitor-updates.jsonl').trim().split('\n'))
      applyUpdates(tables, (JSON.parse(line) as { params: unknown[] }).params[1]);
    const byId = new Map(applyOvs(kernelTopology(), viewOf(tables)).topology.ifaces.map((i) => [i.id, i]));
    expect(byId.get(`${NS}/patch-orphan`)).toMatchObject({
      kind: 'ovs-patch',
      peer: null,
      ovs: { patchPeer: 'nowhere' },
    });
  });

  it('OVS3: kernel datapath: ports leave ovs-system for their bridge, an internal port moved into a namespace included', () => {
    const t: Topology = {
      ...kernelTopology(),
      namespaces: [
        { name: '', inode: 1, forwarding: false },
        { name: 'qrouter-1', inode: 2, forwarding: true },
      ],
      ifaces: [
        dev('', 'ovs-system', { kind: 'ovs', driverKind: 'openvswitch' }),
        dev('', 'br-int', { kind: 'ovs', driverKind: 'openvswitch' }),
        dev('', 'tap-vm1', { kind: 'tap', driverKind: 'tun', master: 'ovs-system' }),
        dev('qrouter-1', 'qr-1234', { kind: 'ovs', driverKind: 'openvswitch' }),
      ],
    };
    const tables = emptyTables();
    const port = (u: string, name: string, tag: number | null) => ({
      [`p${u}`]: {
        new: { name, interfaces: ['uuid', `i${u}`], tag: tag ?? ['set', []], trunks: ['set', []] },
      },
    });
    applyUpdates(tables, {
      Bridge: {
        b: {
          new: {
            name: 'br-int',
            datapath_type: '',
            ports: [
              'set',
              [
                ['uuid', 'p1'],
                ['uuid', 'p2'],
                ['uuid', 'p3'],
              ],
            ],
          },
        },
      },
      Port: { ...port('1', 'br-int', null), ...port('2', 'tap-vm1', 3), ...port('3', 'qr-1234', 3) },
      Interface: {
        i1: { new: { name: 'br-int', type: 'internal' } },
        i2: { new: { name: 'tap-vm1', type: '' } },
        i3: { new: { name: 'qr-1234', type: 'internal' } },
      },
    });
    const byId = new Map(applyOvs(t, viewOf(tables)).topology.ifaces.map((i) => [i.id, i]));
    expect(byId.get('tap-vm1')).toMatchObject({ kind: 'tap', master: 'br-int', ovs: { tag: 3 } });
    expect(byId.get('qrouter-1/qr-1234')).toMatchObject({ kind: 'ovs', master: 'br-int' });
    expect(byId.get('br-int')).toMatchObject({ kind: 'ovs', master: null, ovs: { datapathType: 'system' } });
    // Without OVSDB the kernel's own master is kept.
    expect(applyOvs(t, null).topology.ifaces.find((i) => i.id === 'tap-vm1')!.master).toBe('ovs-system');
  });

  it('OVS3: a hostile patch name that cannot be an interface id stays out; one taken by a kernel device does not replace it', () => {
    const tables = emptyTables();
    applyUpdates(tables, {
      Bridge: {
        b: {
          new: {
            name: 'br-ex',
            datapath_type: 'netdev',
            ports: [
              'set',
              [
                ['uuid', 'p1'],
                ['uuid', 'p2'],
              ],
            ],
          },
        },
      },
      Port: {
        p1: { new: { name: 'x', interfaces: ['uuid', 'i1'] } },
        p2: { new: { name: 'y', interfaces: ['uuid', 'i2'] } },
      },
      Interface: {
        i1: { new: { name: 'hwlab-node/eth0', type: 'patch', options: ['map', [['peer', 'va']]] } },
        i2: { new: { name: 'va', type: 'patch', options: ['map', [['peer', 'hwlab-node/eth0']]] } },
      },
    });
    const ids = applyOvs(kernelTopology(), viewOf(tables)).topology.ifaces.map((i) => i.id);
    expect(ids.filter((id) => id.includes('eth0'))).toEqual([]);
    expect(ids.filter((id) => id === `${NS}/va`)).toHaveLength(1);
  });

  it('OVS3: only a change of shape (not of counters) rebuilds the topology', () => {
    const { tables, update } = capturedTables();
    const before = viewShape(viewOf(tables));
    applyUpdates(tables, (update.params as unknown[])[1]);
    expect(viewShape(viewOf(tables))).toBe(before);
  });
});

describe('OVS text answers (OVS4)', () => {
  it('OVS4: dpctl/show gives lookups hit/missed/lost and flows per datapath', () => {
    expect(parseDpctlShow(fixture('ovs/dpctl-show.txt'))).toEqual([
      { name: 'netdev@ovs-netdev', hit: 40, missed: 20, lost: 0, flows: 9 },
    ]);
  });

  it('OVS4: coverage/show gives totals by name, drop_action_of_pipeline among them', () => {
    const c = parseCoverageShow(fixture('ovs/coverage-show.txt'));
    expect(c.get('drop_action_of_pipeline')).toBe(27);
    expect(c.get('rev_flow_table')).toBeGreaterThan(0);
    expect(c.has('Event')).toBe(false);
  });

  it('OVS4: dump-flows: only the drop flows, with table, priority, match, cookie and n_packets', () => {
    const drops = parseDropFlows(fixture('ovs/dump-flows-br-int.txt'));
    expect(drops.map((f) => [f.table, f.priority, f.match, f.nPackets])).toEqual([
      [0, 100, 'udp,nw_dst=10.99.0.2,tp_dst=5201', 20],
      [0, 90, 'icmp,nw_dst=10.99.0.3', 0],
      [82, 70, 'ct_state=+inv+trk', 0],
    ]);
    expect(parseDropFlows(fixture('ovs/dump-flows-br-ex.txt'))).toEqual([]);
    expect(
      parseFlowLine(' cookie=0x5, duration=1.5s, table=3, n_packets=9, n_bytes=1, in_port=1 actions=drop'),
    ).toMatchObject({
      priority: 32768,
      match: 'in_port=1',
      cookie: '0x5',
      durationS: 1.5,
    });
  });

  it('OVS4: a drop flow seen before counts its growth; a new one all its packets only if added since the last look', () => {
    const f = {
      cookie: '0x0',
      table: 0,
      priority: 1,
      durationS: 3,
      nPackets: 50,
      match: '',
      actions: 'drop',
    };
    expect(flowDelta(f, 20, 5)).toBe(30);
    expect(flowDelta(f, 80, 5)).toBe(50);
    expect(flowDelta(f, undefined, 5)).toBe(50);
    expect(flowDelta(f, undefined, 1)).toBe(0);
    expect(flowDelta(f, undefined, null)).toBe(0);
  });

  it('OVS4: patch ports counters from OVSDB statistics, in /proc/net/dev order, as deltas', () => {
    const row = statsRow(
      new Map([
        ['rx_packets', 42],
        ['tx_packets', 13],
        ['tx_dropped', 2],
      ]),
    );
    expect(row[1]).toBe(42);
    expect(row[9]).toBe(13);
    expect(row[11]).toBe(2);
    expect(rowDelta(undefined, row)).toBeNull();
    expect(rowDelta(row, row)).toBeNull();
    expect(
      rowDelta(
        row,
        row.map((v) => v + 1),
      )![1],
    ).toBe(1);
  });
});

describe('ovs-vswitchd control socket (OVS5)', () => {
  it('OVS5: a command is one JSON-RPC request; the answer text comes back, an error or silence is an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hw-unixctl-'));
    const path = join(dir, 'ovs-vswitchd.1.ctl');
    const server = createServer((sock) => {
      sock.setEncoding('utf8');
      sock.on('data', (d: string) => {
        const req = JSON.parse(d) as { method: string; id: number };
        if (req.method === 'dpctl/show')
          sock.write(
            JSON.stringify({ id: req.id, result: fixture('ovs/dpctl-show.txt'), error: null }).slice(0, 40),
          );
        if (req.method === 'dpctl/show')
          sock.write(
            JSON.stringify({ id: req.id, result: fixture('ovs/dpctl-show.txt'), error: null }).slice(40),
          );
        if (req.method === 'nope')
          sock.write(JSON.stringify({ id: req.id, result: null, error: '"nope" is not a valid command' }));
        // 'hang': never answers
      });
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      expect(parseDpctlShow(await unixctl(path, 'dpctl/show'))[0]).toMatchObject({ hit: 40, missed: 20 });
      await expect(unixctl(path, 'nope')).rejects.toThrow(/not a valid command/);
      await expect(unixctl(path, 'hang', 200)).rejects.toThrow(/no answer in 200 ms/);
      await expect(unixctl(join(dir, 'absent.ctl'), 'dpctl/show')).rejects.toThrow(/ENOENT/);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a slow ovs-vswitchd never holds a sample (OVS6)', () => {
  /** An OvsSource over an online client with one bridge and a health whose poll ends only on `finish`. */
  function wedged() {
    let finish = () => {};
    let pending: HealthReading = {};
    const health = {
      tick: () =>
        new Promise<void>((resolve) => {
          finish = () => {
            pending = { coverage: { drop_action_of_pipeline: 3 } };
            resolve();
          };
        }),
      take: () => {
        const r = pending;
        pending = {};
        return r;
      },
    } as unknown as OvsHealth;
    const client = {
      current: () => ({ bridges: [{ name: 'br-int', ports: [] }] }),
      state: { status: 'online', detail: null },
      dataVersion: 1,
    };
    const Source = OvsSource as unknown as new (c: unknown, h: OvsHealth) => OvsSource;
    return { source: new Source(client, health), finish: () => finish() };
  }

  it('OVS6: a health tick that never ends: sample() returns within HEALTH_WAIT_MS; the late reading comes with the next sample', async () => {
    const { source, finish } = wedged();
    const t0 = performance.now();
    const s = await source.sample(0, {});
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(HEALTH_WAIT_MS - 5);
    expect(took).toBeLessThan(HEALTH_WAIT_MS + 500);
    expect(s).toEqual({ state: 'online', detail: null });
    finish();
    await new Promise((r) => setTimeout(r, 0));
    const next = await source.sample(1000, {});
    expect(next.coverage).toEqual({ drop_action_of_pipeline: 3 });
  });
});
