import { z } from 'zod';
import { HOP_STATUSES } from './constants.ts';

export { HOP_STATUSES };
export const HopStatusSchema = z.enum(HOP_STATUSES);
export type HopStatus = z.infer<typeof HopStatusSchema>;

export const HopReportSchema = z.object({
  id: z.string(),
  kind: z.string(),
  netns: z.string(),
  name: z.string(),
  status: HopStatusSchema,
  /** 1-based position on the selected path, null when not on it. */
  pathIndex: z.number().int().positive().nullable(),
  rxPackets: z.number(),
  txPackets: z.number(),
  rxDropped: z.number(),
  txDropped: z.number(),
  /** Packets this hop lost in the window, after deduplicating veth pairs and adding qdisc and backlog drops. */
  drops: z.number(),
  /** drops / (drops + packets that got through), 0 when idle. */
  lossRatio: z.number(),
  /** Rule ids of the findings on this hop. */
  rules: z.array(z.string()),
  /**
   * What the status alone does not say, one line each: how protocol drops were attributed to
   * this hop, or that loss seen here was on the reverse direction of the asked path (which leaves
   * the hop's status alone). Absent when there is nothing to say.
   */
  notes: z.array(z.string()).optional(),
});
export type HopReport = z.infer<typeof HopReportSchema>;

export const SEVERITIES = ['info', 'warn', 'loss'] as const;
export const FindingSchema = z.object({
  /** Catalogue id from reference/drop-causes.md: R01, R09, ... */
  rule: z.string(),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  hop: z.string().nullable(),
  reason: z.string().nullable(),
  count: z.number(),
  /** The numbers that prove it, one line each, in words. */
  evidence: z.array(z.string()),
  /** What to do, in words, with the current value. */
  fix: z.string(),
  /** The command to run, when there is one (the UI offers a copy button). */
  command: z.string().nullable(),
});
export type Finding = z.infer<typeof FindingSchema>;

/** `hopwatch diagnose --json` and `GET /api/hosts/:host/diagnosis` answer this same object. */
export const DiagnosisSchema = z.object({
  host: z.string(),
  from: z.number().int(),
  to: z.number().int(),
  seconds: z.number(),
  path: z.array(z.string()).nullable(),
  hops: z.array(HopReportSchema),
  findings: z.array(FindingSchema),
});
export type Diagnosis = z.infer<typeof DiagnosisSchema>;
