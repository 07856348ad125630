/**
 * The hub's own health, as plain numbers that /metrics renders. Reasons are a closed set so a
 * hostile agent cannot mint label values.
 */
export const REJECT_REASONS = [
  'not_json',
  'invalid',
  'too_large',
  'binary',
  'before_hello',
  'unexpected_hello',
  'host_mismatch',
  'out_of_order',
  'future',
  'ui_invalid',
  /** A pong or error for a browser whose socket buffer was full: dropped, not queued. */
  'ui_reply_dropped',
  /** A subscribe over UI_MAX_WATCHED_HOSTS: refused, the previous set stays. */
  'ui_too_many_hosts',
  /** The hub failed handling a valid frame (a bug): logged with its stack, and the loop goes on. */
  'internal_error',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const REFUSE_REASONS = [
  'bad_token',
  'bad_protocol',
  'duplicate_host',
  'bad_origin',
  'bad_host',
  'no_credential',
  'not_found',
  'hello_timeout',
  'too_many_bad_frames',
  'heartbeat_timeout',
  /** A browser socket over its message rate (CLOSE.tooManyMessages). */
  'ui_rate_limited',
  /** An agent whose token belongs to another host name (--agent-tokens-file). */
  'wrong_host_for_token',
  /** An agent's hello with an interval outside AGENT_INTERVAL_MIN_MS..MAX. */
  'bad_interval',
] as const;
export type RefuseReason = (typeof REFUSE_REASONS)[number];

export class HubCounters {
  framesReceived = 0;
  bytesReceived = 0;
  samplesRecorded = 0;
  /**
   * Agent sample frames decoded whole (JSON.parse of every row) because the fast reader
   * (ws/sampleScan.ts) declined them: ~0 from our own agents; a rise means their frame layout
   * moved away from what the reader expects (slower, nothing lost).
   */
  sampleFramesDecoded = 0;
  uiSamplesSent = 0;
  /** Samples folded into a merged frame for a slow browser instead of being queued. */
  uiSamplesMerged = 0;
  /** Times an agent's socket was paused because it sent faster than its rate limit. */
  agentThrottled = 0;
  readonly rejected = new Map<RejectReason, number>(REJECT_REASONS.map((r) => [r, 0]));
  readonly refused = new Map<RefuseReason, number>(REFUSE_REASONS.map((r) => [r, 0]));

  reject(reason: RejectReason): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  refuse(reason: RefuseReason): void {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1);
  }
}
