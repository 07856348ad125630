import type { HubToAgentMessage } from '@hopwatch/shared';
import { parseFrame } from '@hopwatch/shared/protocol/frame';

export type HubFrame = { ok: true; value: HubToAgentMessage } | { ok: false; error: string };

/**
 * A hub → agent frame (welcome, ping, pong), checked by hand against HubToAgentSchema's shape
 * instead of with the schema itself: that keeps zod out of the agent's single-file bundle (~750 KB
 * of its 1 MB, and its heap). Three small messages; the unit test holds this to the schema.
 * Never throws; unknown fields are dropped, as the schema would.
 */
export function decodeHubFrame(raw: string): HubFrame {
  const parsed = parseFrame(raw);
  if (!parsed.ok) return parsed;
  const data = parsed.value;
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
