import { z } from 'zod';
import { DiagnosisSchema, HopStatusSchema } from './diagnosis.ts';
import { KeyframeSchema, SampleSchema, TopologySchema } from './model.ts';

/**
 * The wire: one versioned protocol, one discriminated union per direction, a literal `type` on
 * every message. A new message type fails to compile until every consumer's `switch` handles it.
 * PROTOCOL_VERSION, MAX_FRAME_BYTES and CLOSE live in constants.ts (no zod: the agent bundle).
 */
export { CLOSE, MAX_FRAME_BYTES, PROTOCOL_VERSION } from './constants.ts';
import { HOST_STATUSES } from './constants.ts';

// ---- agent → hub ----------------------------------------------------------------------------

export const AgentHelloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.number().int(),
  host: z.string().min(1).max(253),
  agentVersion: z.string(),
  /** Random per agent process: lets the hub tell a reconnect from a second agent with the same name. */
  instance: z.string().min(1),
  intervalMs: z.number().int().positive(),
  tracing: z.enum(['on', 'off', 'unavailable']),
});

export const AgentTopologySchema = z.object({
  type: z.literal('topology'),
  seq: z.number().int().nonnegative(),
  t: z.number().int().nonnegative(),
  topology: TopologySchema,
});

export const AgentSampleSchema = z.object({
  type: z.literal('sample'),
  seq: z.number().int().nonnegative(),
  /** True when replayed from the agent's buffer after a reconnect. */
  backfill: z.boolean(),
  sample: SampleSchema,
});

export const AgentKeyframeSchema = z.object({
  type: z.literal('keyframe'),
  seq: z.number().int().nonnegative(),
  keyframe: KeyframeSchema,
});

export const AgentLogSchema = z.object({
  type: z.literal('log'),
  level: z.enum(['info', 'warn', 'error']),
  message: z.string().max(4096),
});

export const PingSchema = z.object({ type: z.literal('ping'), t: z.number() });
export const PongSchema = z.object({ type: z.literal('pong'), t: z.number() });

export const AgentMessageSchema = z.discriminatedUnion('type', [
  AgentHelloSchema,
  AgentTopologySchema,
  AgentSampleSchema,
  AgentKeyframeSchema,
  AgentLogSchema,
  PingSchema,
  PongSchema,
]);
export type AgentMessage = z.infer<typeof AgentMessageSchema>;

// ---- hub → agent ----------------------------------------------------------------------------

export const HubWelcomeSchema = z.object({
  type: z.literal('welcome'),
  protocol: z.number().int(),
  /** End time of the newest sample the hub has recorded for this host: backfill what is newer. */
  lastT: z.number().int().nullable(),
});

export const HubToAgentSchema = z.discriminatedUnion('type', [HubWelcomeSchema, PingSchema, PongSchema]);
export type HubToAgentMessage = z.infer<typeof HubToAgentSchema>;

// ---- hub → browser --------------------------------------------------------------------------

export const HostSummarySchema = z.object({
  host: z.string(),
  status: z.enum(HOST_STATUSES),
  lastSeen: z.number().int().nullable(),
  agentVersion: z.string().nullable(),
  ifaceCount: z.number().int(),
  /** Hops whose status is loss in the latest sample. */
  lossHops: z.number().int(),
  worst: HopStatusSchema,
  /** The hop with the worst status (most drops among equals), null when every hop is ok or idle. */
  worstHop: z.string().nullable().optional(),
  /** The first rule of the worst hop's findings (R01…), null when it has none. */
  rule: z.string().nullable().optional(),
});
export type HostSummary = z.infer<typeof HostSummarySchema>;

export const UiHostsSchema = z.object({ type: z.literal('hosts'), hosts: z.array(HostSummarySchema) });
export const UiTopologySchema = z.object({
  type: z.literal('topology'),
  host: z.string(),
  t: z.number().int(),
  topology: TopologySchema,
});
export const UiSampleSchema = z.object({
  type: z.literal('sample'),
  host: z.string(),
  /** Samples merged into one when the browser was too slow to take each (latest state, not a queue). */
  merged: z.number().int().positive(),
  sample: SampleSchema,
});
export const UiErrorSchema = z.object({ type: z.literal('error'), code: z.string(), message: z.string() });
export const UiDiagnosisSchema = z.object({ type: z.literal('diagnosis'), diagnosis: DiagnosisSchema });

export const HubToUiSchema = z.discriminatedUnion('type', [
  UiHostsSchema,
  UiTopologySchema,
  UiSampleSchema,
  UiErrorSchema,
  UiDiagnosisSchema,
  PongSchema,
]);
export type HubToUiMessage = z.infer<typeof HubToUiSchema>;

// ---- browser → hub --------------------------------------------------------------------------

export const UiSubscribeSchema = z.object({
  type: z.literal('subscribe'),
  /** The complete set of hosts this browser watches (replaces the previous set). */
  hosts: z.array(z.string()).max(1000),
  /**
   * How `sample` frames come: `text` (the default) or `binary`, WebSocket binary frames holding
   * the same JSON in UTF-8, which a browser can hand to a worker without copying. Other frames
   * are always text. Each subscribe says it again (absent: text).
   */
  samples: z.enum(['text', 'binary']).optional(),
});

export const UiToHubSchema = z.discriminatedUnion('type', [UiSubscribeSchema, PingSchema]);
export type UiToHubMessage = z.infer<typeof UiToHubSchema>;
