/**
 * The first step of decoding any frame, shared by every receiver: the size bound, then JSON.
 * No zod here: the agent's single-file bundle and the web app's first chunk import this module
 * by its own path (`@hopwatch/shared/protocol/frame`), as they do constants.ts.
 */
import { MAX_FRAME_BYTES } from './constants.ts';

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** JSON text of at most MAX_FRAME_BYTES, parsed; never throws. */
export function parseFrame(raw: string): DecodeResult<unknown> {
  if (raw.length > MAX_FRAME_BYTES)
    return { ok: false, error: `frame of ${raw.length} bytes exceeds ${MAX_FRAME_BYTES}` };
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
}
