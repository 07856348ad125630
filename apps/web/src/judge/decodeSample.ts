import type { HubToUiMessage, Sample } from '@hopwatch/shared';
import { parseFrame } from '@hopwatch/shared/protocol/frame';
import { checkSample } from '@hopwatch/shared/protocol/sampleFrame';
import { frameText } from '../connection/frameText.ts';

export type UiSampleFrame = Extract<HubToUiMessage, { type: 'sample' }>;
export type SampleResult = { ok: true; value: UiSampleFrame } | { ok: false; error: string };

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const bad = (path: string, message: string): SampleResult => ({
  ok: false,
  error: `invalid message${path === '' ? '' : ` at ${path}`}: ${message}`,
});

/**
 * The hub's `sample` frame for the judge worker: UiSampleSchema's acceptance with the sample
 * itself checked by shared's hand-written checkSample (the agent frames' check, held to
 * SampleSchema by sampleFrame.test.ts). zod jitless (the hub's CSP) walked a 3000-interface
 * sample's 48 000 numbers in ~100 ms per frame on a busy machine, and the first picture waits for
 * the first judged sample. test/decodeSample.test.ts holds this to zod's verdict and value (LOAD5).
 */
export function decodeSampleFrame(raw: string | ArrayBuffer): SampleResult {
  const text = frameText(raw);
  if (!text.ok) return text;
  const parsed = parseFrame(text.value);
  if (!parsed.ok) return parsed;
  const o = parsed.value;
  if (!isObj(o)) return bad('', 'expected object');
  if (o.type !== 'sample') return bad('type', 'not a sample frame');
  if (typeof o.host !== 'string') return bad('host', 'expected string');
  if (!Number.isSafeInteger(o.merged)) return bad('merged', 'expected int');
  if ((o.merged as number) <= 0) return bad('merged', 'expected number to be >0');
  const s = checkSample(o.sample);
  // checkSample's paths start with a dot (`.t`, `.ifaces.eth0.3`): its root has no name.
  if (!s.ok) return bad(`sample${s.path === '' || s.path.startsWith('.') ? '' : '.'}${s.path}`, s.message);
  return { ok: true, value: { type: 'sample', host: o.host, merged: o.merged as number, sample: s.value } };
}

/** SampleSchema's acceptance for one sample of a recording body (same check, no frame around it). */
export function decodeSample(v: unknown): Sample | null {
  const r = checkSample(v);
  return r.ok ? r.value : null;
}
