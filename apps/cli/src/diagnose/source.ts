import { readFileSync, writeFileSync } from 'node:fs';
import { type Sample, SampleSchema, type Topology, TopologySchema } from '@hopwatch/shared';

/** What diagnose judges: a host's topology and the window's samples, oldest first. */
export interface Capture {
  topology: Topology;
  samples: Sample[];
}

export class CaptureError extends Error {}

/**
 * A saved capture: `{ topology, samples }` (what the agent's sampleWindow returns, e.g. saved from
 * another host) or `{ topology, sample }` (`hopwatch agent --once --json`). Validated like a
 * wire frame: a bad file is a message, never a stack trace.
 */
export function readCapture(path: string): Capture {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CaptureError(`cannot read ${path}: ${(e as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new CaptureError(`${path}: not a JSON object`);
  const obj = raw as { topology?: unknown; samples?: unknown; sample?: unknown };
  const topology = TopologySchema.safeParse(obj.topology);
  if (!topology.success) throw new CaptureError(`${path}: bad topology: ${firstIssue(topology.error)}`);
  const list = obj.samples ?? (obj.sample === undefined ? [] : [obj.sample]);
  const samples = SampleSchema.array().safeParse(list);
  if (!samples.success) throw new CaptureError(`${path}: bad samples: ${firstIssue(samples.error)}`);
  return { topology: topology.data, samples: samples.data };
}

function firstIssue(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}` : 'invalid';
}

/** The capture as --input reads it back (one sample per line keeps a diff of two captures readable). */
export function writeCapture(path: string, capture: Capture): void {
  const samples = capture.samples.map((s) => `    ${JSON.stringify(s)}`).join(',\n');
  const text = `{\n  "topology": ${JSON.stringify(capture.topology, null, 2).replaceAll('\n', '\n  ')},\n  "samples": [\n${samples}\n  ]\n}\n`;
  writeFileSync(path, text);
}
