import type { z } from 'zod';
import {
  type AgentMessage,
  AgentMessageSchema,
  HubToAgentSchema,
  HubToUiSchema,
  UiToHubSchema,
} from './messages.ts';
import { type DecodeResult, parseFrame } from './frame.ts';
import { checkSampleFrame } from './sampleFrame.ts';

export type { DecodeResult } from './frame.ts';

/**
 * Decoding returns a result and never throws: a bad frame is the sender's problem, logged and
 * counted by the receiver, and the loop goes on.
 */
export function decodeWith<S extends z.ZodType>(schema: S, raw: unknown): DecodeResult<z.infer<S>> {
  let data: unknown = raw;
  if (typeof raw === 'string') {
    const parsed = parseFrame(raw);
    if (!parsed.ok) return parsed;
    data = parsed.value;
  }
  return validateWith(schema, data);
}

function validateWith<S extends z.ZodType>(schema: S, data: unknown): DecodeResult<z.infer<S>> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, error: `invalid message${where}: ${issue?.message ?? 'unknown'}` };
}

/**
 * An agent's frame. The per-second `sample` frame of JSON text goes through the hand-written
 * check (sampleFrame.ts: the schema's acceptance, without zod's cost per number); everything
 * else, and anything that is not JSON text, through AgentMessageSchema.
 */
export function decodeAgentMessage(raw: unknown): DecodeResult<AgentMessage> {
  if (typeof raw !== 'string') return decodeWith(AgentMessageSchema, raw);
  const parsed = parseFrame(raw);
  if (!parsed.ok) return parsed;
  const data = parsed.value as { type?: unknown } | null;
  if (typeof data !== 'object' || data === null || Array.isArray(data) || data.type !== 'sample')
    return validateWith(AgentMessageSchema, data);
  const r = checkSampleFrame(data);
  if (r.ok) return r;
  const where = r.path === '' ? '' : ` at ${r.path}`;
  return { ok: false, error: `invalid message${where}: ${r.message}` };
}
export const decodeHubToAgent = (raw: unknown) => decodeWith(HubToAgentSchema, raw);
export const decodeHubToUi = (raw: unknown) => decodeWith(HubToUiSchema, raw);
export const decodeUiToHub = (raw: unknown) => decodeWith(UiToHubSchema, raw);
