/**
 * A day of one big host, synthesised straight into a recording file (bench:replay only): a
 * network node with `ifaces` interfaces (veth pairs from br-int taps into router namespaces),
 * `active` of them moving at 1 Hz with ±10 % noise, and one incident (a hop dropping 2 % for two
 * minutes at 03:12 into the day) so the heat strip has something to find.
 */
import { IFACE_COUNTER_INDEX, type Iface, type Sample, type Topology } from '@hopwatch/shared';
import { openStore } from '../src/store/store.ts';
import { makeIface } from '../test/helpers/data.ts';

export const INCIDENT_AT_MS = (3 * 60 + 12) * 60_000;
export const INCIDENT_MS = 120_000;
const FLUSH_EVERY_SAMPLES = 600;

const iface = makeIface;

export function synthTopology(host: string, total: number): Topology {
  const ifaces: Iface[] = [iface('br-int', { kind: 'bridge', driverKind: 'bridge' })];
  const pairs = Math.floor((total - 1) / 2);
  for (let k = 0; k < pairs; k++) {
    const ns = `qrouter-${String(Math.floor(k / 5)).padStart(4, '0')}`;
    const tap = `tap${String(k).padStart(4, '0')}`;
    const inner = `${ns}/qg${k % 5}`;
    ifaces.push(iface(tap, { master: 'br-int', peer: inner, ifindex: 10 + 2 * k }));
    ifaces.push(iface(inner, { peer: tap, ifindex: 11 + 2 * k }));
  }
  const namespaces = [...new Set(ifaces.map((i) => i.netns))].map((name, k) => ({
    name,
    inode: 4026531840 + k,
    forwarding: name !== '',
  }));
  return { host, kernel: '6.18.0-bench', cpus: 2, namespaces, ifaces, routes: [] };
}

/** Deterministic noise: the same file for the same arguments. */
function noise(a: number, b: number): number {
  const x = Math.sin(a * 12.9898 + b * 78.233) * 43758.5453;
  return x - Math.floor(x);
}

export interface SynthOptions {
  path: string;
  host: string;
  ifaces: number;
  active: number;
  hours: number;
  end: number;
}

/** Writes the day through the store's own append path (chunks, summaries); returns samples written. */
export function synthesize(o: SynthOptions, progress: (done: number, total: number) => void): number {
  const topo = synthTopology(o.host, o.ifaces);
  const store = openStore(o.path, { autoPump: false, retentionMs: 100 * 365 * 24 * 3600_000 });
  const n = o.hours * 3600;
  const start = o.end - n * 1000;
  store.appendTopology(o.host, start, topo);
  // Inbound flows: the tap sends, the namespace end receives (what one sends the other gets).
  const flows = topo.ifaces.filter((i) => i.netns !== '').filter((_, k) => noise(k, 1) < o.active);
  const base = flows.map((_, k) => 50 + Math.floor(noise(k, 2) ** 3 * 5000));
  const victim = flows[0]?.id;
  const RX = IFACE_COUNTER_INDEX.rxPackets;
  const RXB = IFACE_COUNTER_INDEX.rxBytes;
  const RXD = IFACE_COUNTER_INDEX.rxDropped;
  const TX = IFACE_COUNTER_INDEX.txPackets;
  const TXB = IFACE_COUNTER_INDEX.txBytes;
  const TXD = IFACE_COUNTER_INDEX.txDropped;
  for (let s = 1; s <= n; s++) {
    const t = start + s * 1000;
    const inIncident = s * 1000 >= INCIDENT_AT_MS && s * 1000 < INCIDENT_AT_MS + INCIDENT_MS;
    const ifaces: Record<string, number[]> = {};
    let through = 0;
    flows.forEach((f, k) => {
      const pps = Math.round(base[k]! * (0.9 + 0.2 * noise(k, s)));
      const lost = inIncident && f.id === victim ? Math.round(pps * 0.02) : 0;
      const rx = new Array<number>(16).fill(0);
      rx[RX] = pps - lost;
      rx[RXB] = (pps - lost) * 900;
      rx[RXD] = lost;
      const tx = new Array<number>(16).fill(0);
      tx[TX] = pps - lost;
      tx[TXB] = (pps - lost) * 900;
      tx[TXD] = lost;
      ifaces[f.id] = rx;
      if (f.peer !== null) ifaces[f.peer] = tx;
      through += pps;
    });
    const br = new Array<number>(16).fill(0);
    br[RX] = through;
    br[TX] = through;
    ifaces['br-int'] = br;
    const sample: Sample = {
      t,
      elapsedMs: 1000,
      ifaces,
      softnet: [0, 1].map((cpu) => ({
        cpu,
        processed: Math.round(through / 2),
        dropped: 0,
        timeSqueeze: 0,
        receivedRps: 0,
        flowLimit: 0,
        backlogLen: 0,
      })),
      qdiscs: {},
      snmp: {},
      drops: [],
      sysctls: { 'net.core.netdev_max_backlog': 1000 },
      tracing: { state: 'on', detail: null, lost: 0 },
    };
    store.append(o.host, sample);
    if (s % FLUSH_EVERY_SAMPLES === 0) {
      store.flush();
      progress(s, n);
    }
  }
  store.close();
  return n;
}
