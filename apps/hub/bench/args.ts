import { parseArgs } from 'node:util';

/**
 * `--name value` flags as numbers/strings with defaults, for the bench scripts. (The root script
 * `bench:hub` ends in `--` so that `npm run bench:hub -- --agents 20` reaches here intact; without
 * it npm takes `--agents` as its own config.)
 */
export function benchArgs<D extends Record<string, number | string>>(defaults: D): D {
  const options = Object.fromEntries(Object.keys(defaults).map((k) => [k, { type: 'string' as const }]));
  const { values } = parseArgs({ args: process.argv.slice(2), options, strict: true });
  const out: Record<string, number | string> = { ...defaults };
  for (const k of Object.keys(defaults)) {
    const v = values[k];
    if (typeof v !== 'string') continue;
    out[k] = typeof defaults[k] === 'number' ? Number(v) : v;
    if (typeof defaults[k] === 'number' && !Number.isFinite(out[k]))
      throw new Error(`--${k} must be a number`);
  }
  return out as D;
}
