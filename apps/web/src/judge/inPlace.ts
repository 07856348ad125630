// First: the hub's CSP forbids eval, so zod runs jitless (auth/csp.ts).
import '../auth/csp.ts';
import { decodeHubToUi, type HubToUiMessage } from '@hopwatch/shared';
import { frameText } from '../connection/frameText.ts';

export { evaluate } from './evaluate.ts';

type SampleMessage = Extract<HubToUiMessage, { type: 'sample' }>;

/**
 * A browser without workers judges on its UI thread (loaded then, never on the way to the first
 * picture of one that has them): a live sample frame decoded with the wire's schema, as the
 * worker decodes it.
 */
export function decodeSampleFrame(
  raw: string | ArrayBuffer,
): { ok: true; value: SampleMessage } | { ok: false; error: string } {
  const text = frameText(raw);
  if (!text.ok) return text;
  const r = decodeHubToUi(text.value);
  if (!r.ok) return r;
  return r.value.type === 'sample'
    ? { ok: true, value: r.value }
    : { ok: false, error: 'not a sample frame' };
}
