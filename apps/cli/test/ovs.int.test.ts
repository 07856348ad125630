/**
 * The OVS lab against a real Open vSwitch (issue 11): `lab up --ovs` starts a private
 * ovsdb-server + ovs-vswitchd (userspace datapath, in hwlab-node); the agent reads it over OVSDB
 * and its control sockets. Checked: the agent's bridges, ports, tags, patch edges and patch
 * counters against `ovs-vsctl`; `diagnose` crossing the patch ports; the flow-drop and
 * patch-peer faults named on their hop with their rule; OVSDB killed and restarted mid-run.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createCollector } from '@hopwatch/agent';
import { labFault } from '@hopwatch/lab/fault-apply';
import { labDown, labUp } from '@hopwatch/lab/lifecycle';
import { ovsInstalled, ovsPids, startOvsdb, vsctl } from '@hopwatch/lab/ovs/daemon';
import { LAB_OVS_DIR, MISSING_PEER } from '@hopwatch/lab/ovs/topology';
import { ROUTER_GW_ADDR } from '@hopwatch/lab/topology';
import { startTraffic } from '@hopwatch/lab/traffic';
import type { Diagnosis, Sample } from '@hopwatch/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const IS_ROOT = process.getuid?.() === 0;
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** `hopwatch ARGS` from this checkout, its output and exit code. */
function cli(args: string[], timeoutMs = 90_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/hopwatch.mjs', ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

const DB = `unix:${LAB_OVS_DIR}/db.sock`;
const WAN = 'hwlab-up/wan0';
const QG = 'hwlab-qrouter-a1/qg-a1';
const PATH = [
  WAN,
  'hwlab-node/eno1',
  'hwlab-node/br-ex',
  'hwlab-node/phy-br-ex',
  'hwlab-node/int-br-ex',
  'hwlab-node/br-int',
  'hwlab-node/tap-qg-a1',
  QG,
];
const HAVE_OVS = IS_ROOT && ovsInstalled();
if (IS_ROOT && !HAVE_OVS)
  console.log('OVS lab tests skipped: Open vSwitch is not installed (scripts/ensure-deps.sh)');

const lines = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
const unquote = (s: string) => s.trim().replace(/^"|"$/g, '');

async function diagnoseDuring(args: string[], seconds = 6): Promise<Diagnosis> {
  const t = startTraffic({ rate: 2000, to: ROUTER_GW_ADDR, seconds: 0 });
  await new Promise((r) => setTimeout(r, 1000));
  const r = await cli(['diagnose', '--json', '--ovsdb', DB, '--seconds', String(seconds), ...args], 60_000);
  await t.stop();
  try {
    return JSON.parse(r.stdout) as Diagnosis;
  } catch {
    throw new Error(`diagnose printed no JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}
const summary = (d: Diagnosis) =>
  d.findings.map((f) => `${f.rule}/${f.severity}@${f.hop} x${f.count}: ${f.title}`).join('\n');

describe.skipIf(!HAVE_OVS)('the OVS lab against a real Open vSwitch (root)', () => {
  beforeAll(async () => {
    await labUp({ ovs: true });
  });
  afterAll(async () => {
    await labDown();
    // Nothing of the private OVS outlives the lab.
    expect(await ovsPids(LAB_OVS_DIR)).toEqual({ ovsdb: null, vswitchd: null });
  });

  it('OVS-INT1: the agent sees what ovs-vsctl says: bridges, their ports, tags, patch peers, datapath type, patch counters', async () => {
    const before = Number(
      unquote(await vsctl(LAB_OVS_DIR, ['get', 'interface', 'phy-br-ex', 'statistics:tx_packets'])),
    );
    const c = await createCollector({ ovsdb: DB, tracing: false, netnsGlob: 'hwlab-*' });
    const samples: Sample[] = [];
    try {
      const t = startTraffic({ rate: 1000, to: ROUTER_GW_ADDR, seconds: 0 });
      // OVS writes statistics to its database every 5 s: 7 samples see at least one update.
      for (let k = 0; k < 7; k++) {
        await new Promise((r) => setTimeout(r, 1000));
        samples.push(await c.sample());
      }
      await t.stop();
      const topo = c.topology();
      const byId = new Map(topo.ifaces.map((i) => [i.id, i]));
      for (const br of lines(await vsctl(LAB_OVS_DIR, ['list-br']))) {
        expect(byId.get(`hwlab-node/${br}`), br).toMatchObject({
          kind: 'ovs',
          ovs: { datapathType: 'netdev' },
        });
        for (const port of lines(await vsctl(LAB_OVS_DIR, ['list-ports', br]))) {
          const hop = byId.get(`hwlab-node/${port}`);
          expect(hop, port).toMatchObject({ master: `hwlab-node/${br}`, ovs: { bridge: br } });
          const tag = unquote(await vsctl(LAB_OVS_DIR, ['get', 'port', port, 'tag']));
          expect(hop!.ovs!.tag, port).toBe(tag === '[]' ? null : Number(tag));
          const type = unquote(await vsctl(LAB_OVS_DIR, ['get', 'interface', port, 'type']));
          if (type === 'patch') {
            const peer = unquote(await vsctl(LAB_OVS_DIR, ['get', 'interface', port, 'options:peer']));
            expect(hop, port).toMatchObject({ kind: 'ovs-patch', peer: `hwlab-node/${peer}` });
          }
        }
      }
      const after = Number(
        unquote(await vsctl(LAB_OVS_DIR, ['get', 'interface', 'phy-br-ex', 'statistics:tx_packets'])),
      );
      const seen = samples.reduce((s, x) => s + (x.ifaces['hwlab-node/phy-br-ex']?.[9] ?? 0), 0);
      expect(seen).toBeGreaterThan(0);
      expect(seen).toBeLessThanOrEqual(after - before);
      expect(samples.every((s) => s.ovs?.state === 'online')).toBe(true);
      expect(samples.some((s) => (s.ovs?.datapaths?.[0]?.hit ?? 0) > 0)).toBe(true);
    } finally {
      await c.close();
    }
  }, 60_000);

  it('OVS-INT2: diagnose finds the eight-hop path through br-ex, the patch ports and br-int, and no loss', async () => {
    const d = await diagnoseDuring(['--from', WAN, '--to', QG]);
    expect(d.path).toEqual(PATH);
    expect(
      d.findings.filter((f) => f.severity === 'loss'),
      summary(d),
    ).toEqual([]);
  }, 90_000);

  it('OVS-INT3: flow-drop → R13 on hwlab-node/br-int naming table 0 and the flow, first among the losses', async () => {
    await labFault('flow-drop');
    const d = await diagnoseDuring(['--from', WAN, '--to', QG]);
    const loss = d.findings.filter((f) => f.severity === 'loss');
    expect(loss[0], summary(d)).toMatchObject({ rule: 'R13', hop: 'hwlab-node/br-int' });
    expect(loss[0]!.evidence.join('\n')).toMatch(
      /table 0: flow "table=0, priority=200,udp,nw_dst=203\.0\.113\.10 actions=drop"/,
    );
  }, 90_000);

  it('OVS-INT4: patch-peer → R25 on hwlab-node/phy-br-ex (its peer does not exist), first among the losses', async () => {
    await labFault('patch-peer');
    const d = await diagnoseDuring([]);
    const loss = d.findings.filter((f) => f.severity === 'loss');
    expect(loss[0], summary(d)).toMatchObject({ rule: 'R25', hop: 'hwlab-node/phy-br-ex' });
    expect(loss[0]!.title).toContain(MISSING_PEER);
    await labFault('none');
  }, 90_000);

  it('OVS-INT5: OVSDB killed mid-run: said once, the kernel view goes on, and OVS comes back when the database does', async () => {
    const warnings: string[] = [];
    const c = await createCollector({
      ovsdb: DB,
      tracing: false,
      netnsGlob: 'hwlab-*',
      log: (level, msg) => {
        if (level !== 'info') warnings.push(msg);
      },
    });
    try {
      const t = startTraffic({ rate: 500, to: ROUTER_GW_ADDR, seconds: 0 });
      const { ovsdb } = await ovsPids(LAB_OVS_DIR);
      expect(ovsdb).not.toBeNull();
      process.kill(ovsdb!, 'SIGKILL');
      const down: Sample[] = [];
      for (let k = 0; k < 3; k++) {
        await new Promise((r) => setTimeout(r, 1000));
        down.push(await c.sample());
      }
      expect(down.at(-1)!.ovs?.state).toBe('offline');
      // The kernel's counters still come: the uplink keeps sending.
      expect(down.at(-1)!.ifaces[WAN]?.[9] ?? 0).toBeGreaterThan(0);
      // Stale but useful: the patch ports stay in the topology while OVSDB is away.
      expect(c.topology().ifaces.some((i) => i.kind === 'ovs-patch')).toBe(true);
      await startOvsdb(LAB_OVS_DIR);
      let back = false;
      for (let k = 0; k < 20 && !back; k++) {
        await new Promise((r) => setTimeout(r, 1000));
        back = (await c.sample()).ovs?.state === 'online';
      }
      await t.stop();
      expect(back).toBe(true);
      expect(c.topology().ifaces.find((i) => i.id === 'hwlab-node/int-br-ex')).toMatchObject({
        peer: 'hwlab-node/phy-br-ex',
      });
      expect(warnings.filter((w) => /Open vSwitch database/.test(w))).toHaveLength(1);
    } finally {
      await c.close();
    }
  }, 90_000);
});
