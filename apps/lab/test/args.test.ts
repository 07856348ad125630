import { describe, expect, it } from 'vitest';
import { parseLabArgs } from '../src/args.ts';

describe('hopwatch lab arguments', () => {
  it('parses each subcommand', () => {
    expect(parseLabArgs(['up'], {})).toEqual({
      ok: true,
      cmd: { sub: 'up', verify: true, ovs: false, json: false },
    });
    expect(parseLabArgs(['up'], { ovs: true })).toMatchObject({ ok: true, cmd: { ovs: true } });
    expect(parseLabArgs(['up'], { 'no-verify': true })).toMatchObject({ ok: true, cmd: { verify: false } });
    expect(parseLabArgs(['down'], {})).toEqual({ ok: true, cmd: { sub: 'down', json: false } });
    expect(parseLabArgs(['status'], { json: true })).toEqual({
      ok: true,
      cmd: { sub: 'status', json: true },
    });
  });

  it('fault takes one kind, an optional hop and overrides', () => {
    expect(parseLabArgs(['fault', 'backlog'], {})).toEqual({
      ok: true,
      cmd: { sub: 'fault', kind: 'backlog', json: false },
    });
    expect(parseLabArgs(['fault', 'backlog'], { hop: 'hwlab-vm1/eth0', 'max-backlog': '4' })).toEqual({
      ok: true,
      cmd: { sub: 'fault', kind: 'backlog', hop: 'hwlab-vm1/eth0', maxBacklog: 4, json: false },
    });
    expect(parseLabArgs(['fault', 'mtu'], { mtu: '1400' })).toMatchObject({ ok: true, cmd: { mtu: 1400 } });
    expect(parseLabArgs(['fault', 'none'], {})).toMatchObject({ ok: true, cmd: { kind: 'none' } });
  });

  it('says what is wrong with a fault command', () => {
    const err = (p: string[], v = {}) => {
      const r = parseLabArgs(p, v);
      return r.ok ? '' : r.error;
    };
    expect(err(['fault'])).toMatch(
      /exactly one KIND: backlog \| mtu \| qdisc \| down \| firewall \| conntrack \| rpfilter \| noroute \| neigh \| flow-drop \| patch-peer \| none/,
    );
    expect(err(['fault', 'fire'])).toMatch(/unknown fault "fire"/);
    expect(err(['fault', 'backlog'], { hop: 'eno1' })).toMatch(
      /"eno1" is not an interface of the lab[\s\S]*hwlab-node\/eno1/,
    );
    expect(err(['fault', 'mtu'], { hop: 'hwlab-node/br-ex' })).toMatch(/cannot go on hwlab-node\/br-ex/);
    expect(err(['fault', 'none'], { hop: 'hwlab-node/eno1' })).toMatch(/takes no --hop/);
    expect(err(['fault', 'mtu'], { mtu: '1500' })).toMatch(/--mtu must be an integer from 68 to 1499/);
    expect(err(['fault', 'backlog'], { rate: '5' })).toMatch(/lab fault does not take --rate/);
  });

  it("traffic: numbers, the probe and only the lab's own addresses", () => {
    expect(parseLabArgs(['traffic'], {})).toEqual({
      ok: true,
      cmd: { sub: 'traffic', traffic: {}, json: false },
    });
    expect(
      parseLabArgs(['traffic'], { rate: '2000', seconds: '30', size: '64', to: '10.10.0.5', probe: true }),
    ).toEqual({
      ok: true,
      cmd: {
        sub: 'traffic',
        traffic: { rate: 2000, seconds: 30, size: 64, to: '10.10.0.5', probe: true },
        json: false,
      },
    });
    expect(parseLabArgs(['traffic'], { count: '4000' })).toMatchObject({
      ok: true,
      cmd: { traffic: { probe: true, probeCount: 4000 } },
    });
    const to = parseLabArgs(['traffic'], { to: '8.8.8.8' });
    expect(to.ok ? '' : to.error).toMatch(/--to must be one of the lab's addresses: 203.0.113.10/);
    const size = parseLabArgs(['traffic'], { size: '9000' });
    expect(size.ok ? '' : size.error).toMatch(/size must be 1..1472/);
    const rate = parseLabArgs(['traffic'], { rate: 'fast' });
    expect(rate.ok ? '' : rate.error).toMatch(/--rate must be an integer/);
    const nothing = parseLabArgs(['traffic'], { rate: '0' });
    expect(nothing.ok ? '' : nothing.error).toMatch(/nothing to send/);
  });

  it('rejects unknown subcommands and stray arguments', () => {
    expect(parseLabArgs([], {})).toMatchObject({ ok: false });
    expect(parseLabArgs(['sideways'], {})).toMatchObject({
      ok: false,
      error: expect.stringMatching(/unknown subcommand/),
    });
    expect(parseLabArgs(['up', 'now'], {})).toMatchObject({
      ok: false,
      error: expect.stringMatching(/takes no arguments/),
    });
    expect(parseLabArgs(['down'], { hop: 'x' })).toMatchObject({
      ok: false,
      error: expect.stringMatching(/does not take --hop/),
    });
  });
});
