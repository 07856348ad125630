import type { z } from 'zod';
import {
  AgentMessageSchema,
  HubToAgentSchema,
  HubToUiSchema,
  MAX_FRAME_BYTES,
  UiToHubSchema,
} from './messages.ts';

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Decoding returns a result and never throws: a bad frame is the sender's problem, logged and
 * counted by the receiver, and the loop goes on.
 */
export function decodeWith<S extends z.ZodType>(schema: S, raw: unknown): DecodeResult<z.infer<S>> {
  let data: unknown = raw;
  if (typeof raw === 'string') {
    if (raw.length > MAX_FRAME_BYTES)
      return { ok: false, error: `frame of ${raw.length} bytes exceeds ${MAX_FRAME_BYTES}` };
    try {
      data = JSON.parse(raw);
    } catch (e) {
      return { ok: false, error: `not JSON: ${(e as Error).message}` };
    }
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, error: `invalid message${where}: ${issue?.message ?? 'unknown'}` };
}

export const decodeAgentMessage = (raw: unknown) => decodeWith(AgentMessageSchema, raw);
export const decodeHubToAgent = (raw: unknown) => decodeWith(HubToAgentSchema, raw);
export const decodeHubToUi = (raw: unknown) => decodeWith(HubToUiSchema, raw);
export const decodeUiToHub = (raw: unknown) => decodeWith(UiToHubSchema, raw);
