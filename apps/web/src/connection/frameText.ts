import { MAX_FRAME_BYTES } from '@hopwatch/shared/protocol/constants';

/** Strict: bytes that are not UTF-8 are a bad frame, not text with replacement marks. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A frame's text: as it came, or a binary frame's UTF-8 bytes decoded (after the size bound, so a
 * huge frame is refused before it is decoded).
 */
export function frameText(
  raw: string | ArrayBuffer,
): { ok: true; value: string } | { ok: false; error: string } {
  if (typeof raw === 'string') return { ok: true, value: raw };
  if (raw.byteLength > MAX_FRAME_BYTES)
    return { ok: false, error: `frame of ${raw.byteLength} bytes exceeds ${MAX_FRAME_BYTES}` };
  try {
    return { ok: true, value: UTF8.decode(raw) };
  } catch {
    return { ok: false, error: 'a binary frame that is not UTF-8 text' };
  }
}
