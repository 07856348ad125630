import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePingSummary, probeArgv } from '../src/probe.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe("the counted probe (the seed's ping -i 0.01 -c 4000)", () => {
  it("runs ping from the uplink namespace at the seed's interval", () => {
    expect(probeArgv('10.10.0.5', 4000)).toEqual([
      'netns',
      'exec',
      'hwlab-up',
      'ping',
      '-n',
      '-q',
      '-i',
      '0.01',
      '-c',
      '4000',
      '-W',
      '1',
      '10.10.0.5',
    ]);
  });

  it('reads real ping summaries: none lost, some lost, all lost', () => {
    expect(parsePingSummary('203.0.113.10', fixture('ping-ok.txt'))).toEqual({
      to: '203.0.113.10',
      sent: 200,
      received: 200,
      lost: 0,
      lossRatio: 0,
    });
    expect(parsePingSummary('203.0.113.10', fixture('ping-some-lost.txt'))).toEqual({
      to: '203.0.113.10',
      sent: 1000,
      received: 578,
      lost: 422,
      lossRatio: 0.422,
    });
    expect(parsePingSummary('203.0.113.10', fixture('ping-all-lost.txt'))).toMatchObject({
      sent: 20,
      received: 0,
      lost: 20,
      lossRatio: 1,
    });
  });

  it('returns null when ping printed no summary', () => {
    expect(parsePingSummary('x', 'ping: connect: Network is unreachable\n')).toBeNull();
  });
});
