import { decodeHubToUi } from '@hopwatch/shared';
import { describe, expect, it } from 'vitest';
import jdMtu from '../../../packages/shared/test/fixtures/real/jd-mtu.json' with { type: 'json' };
import labBacklog from '../../../packages/shared/test/fixtures/real/lab-backlog.json' with { type: 'json' };
import ovsPatch from '../../../packages/shared/test/fixtures/real/ovs-patch-peer.json' with { type: 'json' };
import { decodeHubFrame } from '../src/connection/decodeHub.ts';
import { syntheticTopology } from './fixtures/synthetic.ts';
import { labTopology } from './fixtures/topo.ts';

/**
 * LOAD1: the UI thread's hand-written check of the hub's frames (connection/decodeHub.ts) against
 * the wire's zod schema (HubToUiSchema), frame by frame: real agent captures, and every field of
 * them made hostile in turn (missing, null, the wrong type, out of range, unsafe integers, an
 * Infinity from JSON, extra and `__proto__` keys). Both must accept and refuse the same frames and
 * give the same value, so the two cannot drift apart when the schema changes.
 */

type Json = Record<string, unknown>;

/** JSON.stringify cannot write Infinity; this string becomes `1e400` (JSON.parse: Infinity) in the frame. */
const INF = '__INFINITY__';
const HOSTILE: unknown[] = [
  null,
  '',
  'x',
  0,
  -1,
  1.5,
  2 ** 53,
  INF,
  true,
  false,
  [],
  {},
  [1],
  ['a'],
  { a: 1 },
];

const frameText = (msg: unknown) => JSON.stringify(msg).replaceAll(`"${INF}"`, '1e400');

function same(raw: string): void {
  const zod = decodeHubToUi(raw);
  const mine = decodeHubFrame(raw);
  expect(mine.ok, `${raw.slice(0, 300)}\nzod: ${zod.ok ? 'ok' : zod.error}`).toBe(zod.ok);
  if (mine.ok && zod.ok) {
    if (zod.value.type === 'diagnosis') expect(mine.value).toEqual({ type: 'diagnosis' });
    else expect(mine.value).toStrictEqual(zod.value);
  }
}

/** Every variation of `obj[key]`: deleted, each hostile value (sweep puts the field back). */
function* variations(obj: Json, key: string): Generator<() => void> {
  yield () => {
    delete obj[key];
  };
  for (const v of HOSTILE)
    yield () => {
      obj[key] = v;
    };
}

/** Runs `check` with each field of each object in `targets` varied in turn (then put back). */
function sweep(targets: Json[], check: () => void): number {
  let n = 0;
  for (const obj of targets) {
    for (const key of [...Object.keys(obj), 'unknownKey']) {
      const had = Object.hasOwn(obj, key);
      const old = obj[key];
      for (const apply of variations(obj, key)) {
        apply();
        check();
        n++;
      }
      if (had) obj[key] = old;
      else delete obj[key];
    }
  }
  return n;
}

const real = (x: unknown) => structuredClone((x as { topology: Json }).topology);
const topologies: [string, Json][] = [
  ['lab (web fixture)', labTopology() as unknown as Json],
  ['synthetic 300', syntheticTopology(300, 30) as unknown as Json],
  ['real: lab backlog', real(labBacklog)],
  ['real: OVS patch peer', real(ovsPatch)],
  ['real: whole host (jd-mtu)', real(jdMtu)],
];

describe('the hub frames the UI thread checks by hand (connection/decodeHub.ts)', () => {
  it.each(topologies)('LOAD1: a real topology (%s) decodes to what zod gives', (_, topology) => {
    same(frameText({ type: 'topology', host: topology.host, t: 1, topology }));
    same(
      frameText({
        type: 'topology',
        host: 'h',
        t: 1,
        topology: { ...topology, truncated: { namespaces: 1, ifaces: 2, routes: 3, addresses: 4 } },
      }),
    );
  });

  it('LOAD1: every field of a topology made hostile in turn: the same verdict and value as zod', () => {
    const topology = real(ovsPatch);
    const ifaces = topology.ifaces as Json[];
    const withOvs = ifaces.find((i) => i.ovs !== undefined)!;
    const withVxlan = ifaces.find((i) => i.vxlan !== null)!;
    topology.truncated = { namespaces: 0, ifaces: 0, routes: 0, addresses: 0 };
    const msg: Json = { type: 'topology', host: topology.host, t: 1, topology };
    const targets = [
      msg,
      topology,
      (topology.namespaces as Json[])[0]!,
      withOvs,
      withOvs.ovs as Json,
      withVxlan,
      withVxlan.vxlan as Json,
      (topology.routes as Json[])[0]!,
      topology.truncated as Json,
    ];
    const n = sweep(targets, () => same(frameText(msg)));
    expect(n).toBeGreaterThan(1000);
    // Arrays' elements: a hostile element anywhere in a list is the whole frame's fault.
    for (const list of ['namespaces', 'ifaces', 'routes'] as const)
      for (const v of HOSTILE) {
        const saved = topology[list] as unknown[];
        topology[list] = [...saved, v];
        same(frameText(msg));
        topology[list] = saved;
      }
    (withOvs.ovs as Json).trunks = [1, 'x'];
    same(frameText(msg));
    withOvs.addresses = ['10.0.0.1/24', 5];
    same(frameText(msg));
  });

  it('LOAD1: unknown interface kinds are `other`, unknown and `__proto__` keys dropped, as zod does', () => {
    const topology = labTopology() as unknown as Json;
    const first = (topology.ifaces as Json[])[0]!;
    first.kind = 'wireguard-of-the-future';
    const raw = frameText({ type: 'topology', host: 'lab', t: 1, topology, extra: 1 }).replace(
      '"ifaces":[{',
      '"ifaces":[{"__proto__":{"polluted":true},',
    );
    same(raw);
    const r = decodeHubFrame(raw);
    expect(r.ok && r.value.type === 'topology' && r.value.topology.ifaces[0]?.kind).toBe('other');
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('LOAD1: host lists, errors, pongs, diagnoses and broken frames: the same verdict as zod', () => {
    const host: Json = {
      host: 'h1',
      status: 'online',
      lastSeen: 1,
      agentVersion: '0.1.0',
      ifaceCount: 23,
      lossHops: 1,
      worst: 'loss',
      worstHop: 'eth0',
      rule: 'R01',
    };
    const hosts: Json = { type: 'hosts', hosts: [host] };
    expect(sweep([hosts, host], () => same(frameText(hosts)))).toBeGreaterThan(100);
    const error: Json = { type: 'error', code: 'unknown-host', message: 'no such host' };
    sweep([error], () => same(frameText(error)));
    const pong: Json = { type: 'pong', t: 12.5 };
    sweep([pong], () => same(frameText(pong)));
    for (const raw of [
      '{not json',
      '[]',
      '"x"',
      '3',
      'null',
      '{}',
      '{"type":"nope"}',
      '{"type":"__proto__"}',
      '{"type":"toString"}',
    ])
      same(raw);
  });

  it('LOAD1: a diagnosis is kept by its type only (the app reads nothing of it)', () => {
    expect(decodeHubFrame('{"type":"diagnosis","diagnosis":{"whatever":1}}')).toEqual({
      ok: true,
      value: { type: 'diagnosis' },
    });
  });

  it('LOAD1: a sample frame is not the UI thread’s (the judge worker decodes those)', () => {
    expect(decodeHubFrame('{"type":"sample","host":"h","merged":1,"sample":{}}').ok).toBe(false);
  });
});
