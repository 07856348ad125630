/**
 * Prometheus text exposition (format 0.0.4): a family is one HELP line, one TYPE line, then all of
 * its series together. Label values escape backslash, double quote and newline.
 */
export type Labels = Record<string, string | number>;

const NEEDS_ESCAPE = /[\\"\n]/;

export function escapeLabelValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

export function header(name: string, type: 'counter' | 'gauge', help: string): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
}

/** `{k="v",...}` escaped, or '' for no labels. */
export function labelSet(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabelValue(String(labels[k]))}"`).join(',')}}`;
}

export function line(name: string, labels: Labels, value: number): string {
  return `${name}${labelSet(labels)} ${formatValue(value)}\n`;
}
