import { decodeHubToAgent } from '@hopwatch/shared';
import { describe, expect, it } from 'vitest';
import { decodeHubFrame } from '../src/stream/hub-message.ts';

/**
 * The agent checks the hub's three messages by hand (no zod in its bundle): held here to
 * HubToAgentSchema, frame by frame, for what it accepts, what it returns and what it refuses.
 */
const FRAMES = [
  '{"type":"welcome","protocol":1,"lastT":null}',
  '{"type":"welcome","protocol":1,"lastT":1765000000000}',
  '{"type":"welcome","protocol":2,"lastT":5,"extra":"dropped"}',
  '{"type":"ping","t":12.5}',
  '{"type":"pong","t":0}',
  '{"type":"welcome","protocol":1.5,"lastT":null}',
  '{"type":"welcome","protocol":1}',
  '{"type":"welcome","protocol":"1","lastT":null}',
  '{"type":"welcome","protocol":1,"lastT":1.5}',
  '{"type":"ping"}',
  '{"type":"pong","t":"now"}',
  '{"type":"sample"}',
  '{"t":1}',
  '[]',
  'null',
  '42',
  'not json',
];

describe('STR9: hub frames decoded without zod, as HubToAgentSchema decodes them', () => {
  for (const raw of FRAMES) {
    it(raw, () => {
      const ours = decodeHubFrame(raw);
      const schema = decodeHubToAgent(raw);
      expect(ours.ok).toBe(schema.ok);
      if (ours.ok && schema.ok) expect(ours.value).toEqual(schema.value);
    });
  }

  it('refuses a frame over MAX_FRAME_BYTES before parsing it', () => {
    const r = decodeHubFrame(`{"type":"ping","t":1,"pad":"${'x'.repeat(16 * 1024 * 1024)}"}`);
    expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/exceeds/) });
  });
});
