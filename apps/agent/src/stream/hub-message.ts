import type { HubToAgentMessage } from '@hopwatch/shared';
import { MAX_FRAME_BYTES } from '@hopwatch/shared/protocol/constants';

export type HubFrame = { ok: true; value: HubToAgentMessage } | { ok: false; error: string };

/**
 * A hub → agent frame (welcome, ping, pong), checked by hand against HubToAgentSchema's shape
 * instead of with the schema itself: that keeps zod out of the agent's single-file bundle (~750 KB
 * of its 1 MB, and its heap). Three small messages; the unit test holds this to the schema.
 * Never throws; unknown fields are dropped, as the schema would.
 */
export function decodeHubFrame(raw: string): HubFrame {
  if (raw.length > MAX_FRAME_BYTES)
    return { ok: false, error: `frame of ${raw.length} bytes exceeds ${MAX_FRAME_BYTES}` };
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return { ok: false, error: 'invalid message: not an object' };
  const m = data as Record<string, unknown>;
  switch (m.type) {
    case 'welcome':
      if (!Number.isSafeInteger(m.protocol)) return bad('protocol', 'an integer');
      if (m.lastT !== null && !Number.isSafeInteger(m.lastT)) return bad('lastT', 'an integer or null');
      return {
        ok: true,
        value: { type: 'welcome', protocol: m.protocol as number, lastT: m.lastT as number | null },
      };
    case 'ping':
    case 'pong':
      if (typeof m.t !== 'number' || !Number.isFinite(m.t)) return bad('t', 'a number');
      return { ok: true, value: { type: m.type, t: m.t } };
    default:
      return bad('type', '"welcome", "ping" or "pong"');
  }
}

function bad(field: string, want: string): HubFrame {
  return { ok: false, error: `invalid message at ${field}: expected ${want}` };
}
